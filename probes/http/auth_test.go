package http

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// wantsAuth answers 200 only with the Authorization header want.
func wantsAuth(t *testing.T, want string) string {
	t.Helper()
	return server(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != want {
			http.Error(w, "got "+got, http.StatusUnauthorized)
		}
	}).URL
}

func TestAuthorization(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cred")
	os.WriteFile(file, []byte("from-file\n"), 0o600)
	userFile := filepath.Join(dir, "user")
	os.WriteFile(userFile, []byte("alice\n"), 0o600)

	for _, tc := range []struct{ config, want string }{
		{"authorization: {credentials: abc}", "Bearer abc"},
		{"authorization: {type: Token, credentials: abc}", "Token abc"},
		{"authorization: {type: Token, credentials_file: " + file + "}", "Token from-file"},
		{"basic_auth: {username_file: " + userFile + ", password: pw}", "Basic YWxpY2U6cHc="}, // alice:pw
		{"basic_auth: {username: bob, password_file: " + file + "}", "Basic Ym9iOmZyb20tZmlsZQ=="},
	} {
		t.Run(tc.config, func(t *testing.T) {
			probetest.WantSuccess(t, probe(t, wantsAuth(t, tc.want), probetest.Section[Config](t, tc.config)))
		})
	}
	if _, err := New("http://x.test/", probetest.Section[Config](t, "basic_auth: {username_file: "+filepath.Join(dir, "nope")+"}")); err == nil || !strings.Contains(err.Error(), "basic_auth.username_file") {
		t.Errorf("a missing username_file: %v", err)
	}
	if _, err := New("http://x.test/", probetest.Section[Config](t, "authorization: {credentials_file: "+filepath.Join(dir, "nope")+"}")); err == nil || !strings.Contains(err.Error(), "authorization.credentials_file") {
		t.Errorf("a missing credentials_file: %v", err)
	}
}

// tokenServer is an OAuth2 token endpoint (client credentials grant) that
// gives token for client id:secret; it counts the tokens it gave.
type tokenServer struct {
	url    string
	issued atomic.Int32
	form   atomic.Value // the last request's form
}

func newTokenServer(t *testing.T, token string, delay time.Duration) *tokenServer {
	ts := &tokenServer{}
	ts.url = server(t, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() // then the server notices a client that hangs up
		select {
		case <-time.After(delay):
		case <-r.Context().Done(): // the probe gave up
			return
		}
		ts.form.Store(r.PostForm)
		id, secret, _ := r.BasicAuth()
		if r.PostForm.Get("grant_type") != "client_credentials" || id != "probe" || secret != "s3cret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error": "invalid_client"}`))
			return
		}
		ts.issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
	}).URL + "/token"
	return ts
}

func TestOAuth2(t *testing.T) {
	ts := newTokenServer(t, "tok-1", 0)
	target := wantsAuth(t, "Bearer tok-1")
	c := probetest.Section[Config](t, `
oauth2:
  client_id: probe
  client_secret: s3cret
  scopes: [read, probe]
  token_url: `+ts.url+`
  endpoint_params: {audience: api}
`)
	p := newProber(t, target, c)
	for range 3 {
		probetest.WantSuccess(t, probetest.Run(t, p, probeTimeout))
	}
	if n := ts.issued.Load(); n != 1 {
		t.Errorf("%d tokens fetched for 3 runs; one lasts an hour", n)
	}
	form := ts.form.Load().(url.Values)
	if form["scope"][0] != "read probe" || form["audience"][0] != "api" {
		t.Errorf("token request form %v", form)
	}

	// Wrong credentials: the run fails with auth, saying what the token
	// endpoint said, and the target is not asked.
	bad := probetest.Section[Config](t, "oauth2: {client_id: probe, client_secret: wrong, token_url: "+ts.url+"}")
	probetest.WantFail(t, probe(t, target, bad), ReasonAuth, "oauth2 token request: 401 Unauthorized (invalid_client)")
	down := probetest.Section[Config](t, "oauth2: {client_id: probe, client_secret: s3cret, token_url: 'http://127.0.0.1:1/token'}")
	probetest.WantFail(t, probe(t, target, down), ReasonAuth, "oauth2 token request: dial tcp 127.0.0.1:1: connect: connection refused")
}

// A token endpoint that hangs cannot hold a run past its timeout, and the
// token request is not timed as the target's phases.
func TestOAuth2TokenRequestBounded(t *testing.T) {
	slow := newTokenServer(t, "tok", 5*time.Second)
	c := probetest.Section[Config](t, "oauth2: {client_id: probe, client_secret: s3cret, token_url: "+slow.url+"}")
	res := probetest.Run(t, newProber(t, wantsAuth(t, "Bearer tok"), c), shortTimeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 500ms while requesting the OAuth2 token")

	lagging := newTokenServer(t, "tok", 300*time.Millisecond)
	c = probetest.Section[Config](t, "oauth2: {client_id: probe, client_secret: s3cret, token_url: "+lagging.url+"}")
	res = probe(t, wantsAuth(t, "Bearer tok"), c)
	probetest.WantSuccess(t, res)
	var phases float64
	for _, ph := range phaseNames {
		phases += probetest.Sample(t, res, MetricDuration, ph)
	}
	if phases >= 0.3 {
		t.Errorf("the token request's 300ms went into the target's phases (%vs)", phases)
	}
}

// The token goes to the target's host (and its subdomains), not to a host
// a redirect leads elsewhere.
func TestOAuth2NotSentElsewhere(t *testing.T) {
	ts := newTokenServer(t, "tok", 0)
	var elsewhere atomic.Value
	other := server(t, func(w http.ResponseWriter, r *http.Request) { elsewhere.Store(r.Header.Get("Authorization")) })
	target := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		// Same port space, another host name: localhost, not 127.0.0.1.
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1), http.StatusFound)
	})
	c := probetest.Section[Config](t, "oauth2: {client_id: probe, client_secret: s3cret, token_url: "+ts.url+"}")
	probetest.WantSuccess(t, probe(t, target.URL, c))
	if v := elsewhere.Load(); v != "" {
		t.Errorf("the redirect to another host carried %v", v)
	}
	for host, ok := range map[string]bool{"a.test": true, "api.a.test": true, "xa.test": false, "b.test": false, "A.TEST": true} {
		if sameOrSubdomain(host, "a.test") != ok {
			t.Errorf("sameOrSubdomain(%q, a.test) = %v", host, !ok)
		}
	}
}
