package agent

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Every way a secret gets into a config (inline, ${VAR}, a *_file, a URL's
// userinfo or query, a header the keyword list used to miss, a check's
// arguments) stays out of every page, /metrics and the log: also when the
// target echoes it back in a failure, and when a check prints it.
func TestSecretsNeverShown(t *testing.T) {
	var mu sync.Mutex
	var seen []string // what the targets received, to prove the secrets were used
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String()+" "+r.Header.Get("Authorization")+" "+r.Header.Get("X-Client-Credential"))
		mu.Unlock()
		if r.URL.Path == "/fail" {
			// A target that quotes the request back in its failure.
			http.Error(w, "denied "+r.URL.String(), http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer target.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-4b7f0e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLOAGENT_TEST_HEADER_SECRET", "env-header-91d2aa")
	t.Setenv("SLOAGENT_TEST_BODY_SECRET", "env-body-63c1bb")
	t.Setenv("SLOAGENT_TEST_ARG_SECRET", "env-arg-d40e77")
	secrets := []string{"inline-pw-1f9c3a", "env-header-91d2aa", "env-body-63c1bb", "env-arg-d40e77", "file-token-4b7f0e",
		"userinfo-pw-7a21cd", "query-tok-58e0b9", "header-cred-2cf6d1", "refused-pw-0d83e4", "refused-tok-b1c5a7"}
	host := strings.TrimPrefix(target.URL, "http://")
	ta := startAgent(t, fmt.Sprintf(`
probes:
  - name: inline
    target: http://%[1]s/ok
    interval: 2s
    timeout: 1s
    http:
      method: POST
      basic_auth: {username: alice, password: inline-pw-1f9c3a}
      headers:
        X-Client-Credential: header-cred-2cf6d1
        X-Trace: ${SLOAGENT_TEST_HEADER_SECRET}
      body: '{"token": "${SLOAGENT_TEST_BODY_SECRET}"}'
  - name: file
    target: http://%[1]s/ok
    interval: 2s
    timeout: 1s
    http:
      bearer_token_file: %[2]s
  - name: url
    target: http://probe:userinfo-pw-7a21cd@%[1]s/fail?access_token=query-tok-58e0b9&page=2
    interval: 2s
    timeout: 1s
  - name: refused
    target: http://probe:refused-pw-0d83e4@%[3]s/?token=refused-tok-b1c5a7
    interval: 2s
    timeout: 1s
  - name: check
    kind: command
    target: x
    interval: 2s
    timeout: 1s
    command:
      path: /bin/sh
      args: ["-c", 'echo "CRITICAL - token $1 refused"; exit 2', "sh", "${SLOAGENT_TEST_ARG_SECRET}"]
`, host, tokenFile, refused))

	names := []string{"inline", "file", "url", "refused", "check"}
	for _, name := range names {
		waitFor(t, name+" to run", func() bool {
			v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": name})
			return v > 0
		})
	}
	pages := map[string]string{}
	for _, name := range names {
		// A run now, with every detail it logs.
		code, body := post(t, ta.web.URL+"/probes/"+name+"/run?debug=true")
		if code != http.StatusOK {
			t.Fatalf("debug run of %s: %d %s", name, code, body)
		}
		pages["/probes/"+name+"/run?debug=true"] = body
	}
	for _, path := range []string{"/", "/config", "/metrics", "/incidents", "/api/v1/incidents"} {
		code, body := get(t, ta.web.URL+path)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", path, code)
		}
		pages[path] = body
	}
	pages["the log"] = ta.logs.String()
	for _, want := range []string{"probe=check", "probe=url", "probe=refused"} {
		if !strings.Contains(pages["the log"], want) || !strings.Contains(pages["/"], strings.TrimPrefix(want, "probe=")) {
			t.Errorf("no failure of %s logged or shown:\n%s", want, pages["the log"])
		}
	}
	for where, text := range pages {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q:\n%s", where, s, text)
			}
		}
	}

	// The secrets were sent, and what is not secret is shown.
	mu.Lock()
	sent := strings.Join(seen, "\n")
	mu.Unlock()
	for _, s := range []string{"header-cred-2cf6d1", "query-tok-58e0b9", "Basic ", "Bearer "} {
		if !strings.Contains(sent, s) {
			t.Errorf("the target never got %q:\n%s", s, sent)
		}
	}
	for where, want := range map[string]string{
		"/config":                           "username: alice",
		"/probes/url/run?debug=true":        "reason:   status_code",
		"/probes/check/run?debug=true":      "message:  CRITICAL - token <secret> refused",
		"/probes/refused/run?debug=true":    "reason:   connect",
		"/probes/inline/run?debug=true":     "result:   success",
		"/probes/file/run?debug=true":       "result:   success",
		"/probes/url/run?debug=true target": "target:   http://probe:<secret>@" + host + "/fail?access_token=<secret>&page=2",
	} {
		page := pages[strings.TrimSuffix(where, " target")]
		if !strings.Contains(page, want) {
			t.Errorf("%s lacks %q:\n%s", where, want, page)
		}
	}
}
