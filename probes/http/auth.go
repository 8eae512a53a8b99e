package http

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sloagent/sloagent/internal/conf"
)

// authHeader is the Authorization header basic_auth, bearer_token or
// authorization give, or "" when none is set. Credentials in files are
// read now, when the config is loaded.
func authHeader(c *Config) (string, error) {
	switch {
	case c.BasicAuth != nil:
		b := c.BasicAuth
		user, err := conf.SecretFrom(conf.Secret(b.Username), b.UsernameFile)
		if err != nil {
			return "", fmt.Errorf("basic_auth.username_file: %w", err)
		}
		pw, err := conf.SecretFrom(b.Password, b.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("basic_auth.password_file: %w", err)
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user.Reveal()+":"+pw.Reveal())), nil
	case c.BearerToken != "" || c.BearerTokenFile != "":
		tok, err := conf.SecretFrom(c.BearerToken, c.BearerTokenFile)
		if err != nil {
			return "", fmt.Errorf("bearer_token_file: %w", err)
		}
		return "Bearer " + tok.Reveal(), nil
	case c.Authorization != nil:
		a := c.Authorization
		cred, err := conf.SecretFrom(a.Credentials, a.CredentialsFile)
		if err != nil {
			return "", fmt.Errorf("authorization.credentials_file: %w", err)
		}
		typ := strings.TrimSpace(a.Type)
		if typ == "" {
			typ = "Bearer"
		}
		return typ + " " + cred.Reveal(), nil
	}
	return "", nil
}

// oauth2Transport adds an OAuth2 token (client credentials grant) to every
// request to the host the run started at (or a subdomain of it), fetching
// a new token when the last one has expired.
//
// Prometheus' common config has such a round tripper, but it fetches the
// token with a background context: a token endpoint that hangs would hold
// the run past its timeout. Here the fetch is part of the run, bounded by
// its deadline, and not traced as the target's phases.
type oauth2Transport struct {
	next   http.RoundTripper
	cfg    clientcredentials.Config
	client *http.Client // for the token endpoint

	// sem holds the token: one fetch at a time, and a wait for it
	// ends with the waiting run's context.
	sem   chan struct{}
	token *oauth2.Token
}

func newOAuth2Transport(o *OAuth2, next http.RoundTripper) (*oauth2Transport, error) {
	secret, err := conf.SecretFrom(o.ClientSecret, o.ClientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("oauth2.client_secret_file: %w", err)
	}
	tc, err := newTLSConfig(&o.TLSConfig)
	if err != nil {
		return nil, fmt.Errorf("oauth2.%w", err)
	}
	t := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true, MaxResponseHeaderBytes: maxHeaderBytes}
	if o.ProxyURL != "" {
		if t.Proxy, err = proxyFunc(o.ProxyURL, "", false); err != nil {
			return nil, fmt.Errorf("oauth2.%w", err)
		}
	}
	params := url.Values{}
	for k, v := range o.EndpointParams {
		params.Set(k, v)
	}
	return &oauth2Transport{
		next: next,
		cfg: clientcredentials.Config{
			ClientID:       o.ClientID,
			ClientSecret:   secret.Reveal(),
			TokenURL:       o.TokenURL,
			Scopes:         o.Scopes,
			EndpointParams: params,
		},
		client: &http.Client{Transport: t},
		sem:    make(chan struct{}, 1),
	}, nil
}

func (t *oauth2Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A redirect elsewhere gets no token, as net/http drops an
	// Authorization header then.
	if r := runFrom(req.Context()); r == nil || !sameOrSubdomain(req.URL.Hostname(), r.first.Hostname()) {
		return t.next.RoundTrip(req)
	}
	tok, err := t.tokenFor(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	return t.next.RoundTrip(out)
}

func (t *oauth2Transport) tokenFor(ctx context.Context) (*oauth2.Token, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()
	if t.token.Valid() {
		return t.token, nil
	}
	// The token request is not the target's: it must not run the run's
	// trace hooks, only honour its deadline.
	fetch, cancel := detached(ctx)
	defer cancel()
	tok, err := t.cfg.Token(context.WithValue(fetch, oauth2.HTTPClient, t.client))
	if err != nil {
		return nil, &tokenError{err: err}
	}
	t.token = tok
	return tok, nil
}

// detached returns a context with ctx's deadline and cancellation but none
// of its values (the run's trace hooks).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(context.Background())
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	release := func() { stop(); cancel(nil) }
	if dl, ok := ctx.Deadline(); ok {
		var cancelDL context.CancelFunc
		c, cancelDL = context.WithDeadline(c, dl)
		return c, func() { cancelDL(); release() }
	}
	return c, release
}

// tokenError is a failed token request.
type tokenError struct{ err error }

func (e *tokenError) Error() string {
	var re *oauth2.RetrieveError
	if errors.As(e.err, &re) && re.Response != nil {
		msg := "oauth2 token request: " + re.Response.Status
		if re.ErrorCode != "" {
			msg += " (" + re.ErrorCode + ")"
		}
		return msg
	}
	return "oauth2 token request: " + errText(e.err)
}

func (e *tokenError) Unwrap() error { return e.err }

// sameOrSubdomain reports whether host may get the target's credentials,
// by the rule net/http applies to an Authorization header on a redirect.
func sameOrSubdomain(host, target string) bool {
	host, target = strings.ToLower(host), strings.ToLower(target)
	return host == target || strings.HasSuffix(host, "."+target)
}

// ReasonAuth is the reason of a run that could not get its credentials: the
// OAuth2 token request failed (a timeout is still timeout).
const ReasonAuth = "auth"
