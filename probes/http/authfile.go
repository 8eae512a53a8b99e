package http

import (
	"net/http"
)

// fileAuthTransport sets the Authorization header from credentials in
// files, read again for every request as Prometheus' HTTP clients do, so
// that a rotated token or password is used without a reload. Like the
// header of inline credentials, it goes only to the host the run started
// at (or a subdomain of it).
type fileAuthTransport struct {
	next http.RoundTripper
	c    *Config
}

// credsFromFiles tells whether c's credentials are in files.
func credsFromFiles(c *Config) bool {
	switch {
	case c.BasicAuth != nil:
		return c.BasicAuth.UsernameFile != "" || c.BasicAuth.PasswordFile != ""
	case c.BearerToken != "" || c.BearerTokenFile != "":
		return c.BearerTokenFile != ""
	case c.Authorization != nil:
		return c.Authorization.CredentialsFile != ""
	}
	return false
}

func (t *fileAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if r := runFrom(req.Context()); r == nil || !sameOrSubdomain(req.URL.Hostname(), r.first.Hostname()) {
		return t.next.RoundTrip(req)
	}
	auth, err := authHeader(t.c)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &credsError{err}
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", auth)
	return t.next.RoundTrip(out)
}

// credsError is credentials that could not be read for a run.
type credsError struct{ err error }

func (e *credsError) Error() string { return "reading credentials: " + e.err.Error() }

func (e *credsError) Unwrap() error { return e.err }
