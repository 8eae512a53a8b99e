package httpconf

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

func TestRetryDefaults(t *testing.T) {
	zero := 0
	for _, tc := range []struct {
		name                          string
		timeout, minB, maxB           conf.Duration
		retries                       *int
		wantTimeout, wantMin, wantMax time.Duration
		wantRetries                   int
	}{
		{name: "unset", wantTimeout: DefaultTimeout, wantMin: DefaultMinBackoff, wantMax: DefaultMaxBackoff, wantRetries: DefaultMaxRetries},
		{name: "set", timeout: conf.Duration(time.Second), minB: conf.Duration(time.Second), maxB: conf.Duration(time.Minute), retries: &zero,
			wantTimeout: time.Second, wantMin: time.Second, wantMax: time.Minute, wantRetries: 0},
		// A min_backoff above the default max raises the unset max to it,
		// so that the defaults never make a config invalid.
		{name: "min above the default max", minB: conf.Duration(time.Minute),
			wantTimeout: DefaultTimeout, wantMin: time.Minute, wantMax: time.Minute, wantRetries: DefaultMaxRetries},
	} {
		t.Run(tc.name, func(t *testing.T) {
			timeout, minB, maxB, retries := tc.timeout, tc.minB, tc.maxB, tc.retries
			RetryDefaults(&timeout, &retries, &minB, &maxB)
			if timeout.D() != tc.wantTimeout || minB.D() != tc.wantMin || maxB.D() != tc.wantMax || retries == nil || *retries != tc.wantRetries {
				t.Errorf("got timeout %s, backoff %s to %s, retries %v; want %s, %s to %s, %d",
					timeout, minB, maxB, retries, tc.wantTimeout, tc.wantMin, tc.wantMax, tc.wantRetries)
			}
			r := conf.NewReport()
			CheckBackoff(r, minB, maxB)
			if !r.Empty() {
				t.Errorf("the defaults are refused: %v", r.Problems())
			}
		})
	}
}

func TestCheckBackoff(t *testing.T) {
	r := conf.NewReport()
	CheckBackoff(r, conf.Duration(-time.Second), conf.Duration(-2*time.Second))
	CheckBackoff(r.At("b"), conf.Duration(2*time.Second), conf.Duration(time.Second))
	want := []string{
		"min_backoff: must be positive",
		"max_backoff: max_backoff -2s is shorter than min_backoff -1s",
		"b.max_backoff: max_backoff 1s is shorter than min_backoff 2s",
	}
	wantProblems(t, r, want)
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		url  string
		auth Auth
		want []string
	}{
		{name: "fine", url: "https://push.example:9091/api", auth: AuthOf(&BasicAuth{Username: "u", Password: "p"}, "", "")},
		{name: "no url", want: []string{"url: missing URL"}},
		{name: "bad url", url: "http://[::1", want: []string{`url: invalid URL: parse "http://[::1": missing ']' in host`}},
		{name: "other scheme", url: "ftp://host/", want: []string{`url: url "ftp://host/" must be an http:// or https:// URL with a host`}},
		{name: "no host", url: "http:///path", want: []string{`url: url "http:///path" must be an http:// or https:// URL with a host`}},
		{name: "token twice", url: "http://h/", auth: AuthOf(nil, "t", filepath.Join(dir, "token")), want: []string{
			"bearer_token_file: bearer_token and bearer_token_file are mutually exclusive",
			"bearer_token_file: stat " + filepath.Join(dir, "token") + ": no such file or directory",
		}},
		{name: "basic and token", url: "http://h/", auth: AuthOf(&BasicAuth{Password: "p", PasswordFile: filepath.Join(dir, "pw")}, "t", ""), want: []string{
			"basic_auth.username: missing username",
			"basic_auth.password_file: password and password_file are mutually exclusive",
			"basic_auth.password_file: stat " + filepath.Join(dir, "pw") + ": no such file or directory",
			"bearer_token: basic_auth and bearer_token are mutually exclusive",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := conf.NewReport()
			Check(r, tc.url, tc.auth)
			wantProblems(t, r, tc.want)
		})
	}
}

// The credentials reach the server, read from their files at each
// SetHeader (a rotated file is read again).
func TestAuthHeader(t *testing.T) {
	dir := t.TempDir()
	pwFile, tokFile := filepath.Join(dir, "pw"), filepath.Join(dir, "token")
	write := func(file, s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(pwFile, "s3cret\n")
	write(tokFile, "tok-1\n")
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	send := func(a Auth) {
		t.Helper()
		h := http.Header{}
		if err := a.SetHeader(h); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		if _, err := Send(Client(h, time.Second, nil), req, "server"); err != nil {
			t.Fatal(err)
		}
	}
	send(AuthOf(&BasicAuth{Username: "agent", PasswordFile: pwFile}, "", ""))
	send(AuthOf(nil, "", tokFile))
	write(tokFile, "tok-2")
	send(AuthOf(nil, "", tokFile))
	send(AuthOf(nil, "inline", ""))
	send(AuthOf(nil, "", ""))
	want := []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("agent:s3cret")), "Bearer tok-1", "Bearer tok-2", "Bearer inline", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}

	os.Remove(tokFile)
	if err := AuthOf(nil, "", tokFile).SetHeader(http.Header{}); err == nil || !strings.HasPrefix(err.Error(), "bearer_token_file: ") {
		t.Errorf("a missing token file: %v", err)
	}
}

// Send retries what may pass later (5xx, 429, no answer) and not what the
// server refused, and quotes a bounded part of the server's answer.
func TestSendRetries(t *testing.T) {
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(" refused: " + strings.Repeat("x", 10<<10)))
	}))
	for _, tc := range []struct {
		status int
		retry  bool
	}{{200, false}, {204, false}, {400, false}, {401, false}, {404, false}, {429, true}, {500, true}, {503, true}} {
		status = tc.status
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		retry, err := Send(Client(nil, time.Second, nil), req, "Alertmanager")
		if retry != tc.retry || (err == nil) != (tc.status/100 == 2) {
			t.Errorf("HTTP %d: retry %v, error %v", tc.status, retry, err)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "Alertmanager returned HTTP status ") || len(err.Error()) > 5<<10) {
			t.Errorf("HTTP %d: error %.100q... (%d bytes)", tc.status, err, len(err.Error()))
		}
	}
	srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	if retry, err := Send(Client(nil, time.Second, nil), req, "server"); !retry || err == nil {
		t.Errorf("a server that is gone: retry %v, error %v", retry, err)
	}
}

func wantProblems(t *testing.T, r conf.Report, want []string) {
	t.Helper()
	var got []string
	for _, p := range r.Problems() {
		got = append(got, p.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
