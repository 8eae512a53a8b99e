package agent

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"
)

// Every way a secret gets into a config (inline, ${VAR}, a *_file, a URL's
// userinfo or query, a header the keyword list used to miss, a check's
// arguments, a plugin's settings and env, an API check's variables and
// secrets) stays out of every page (the status page, /config, debug runs,
// incidents and their reviews, the report), /metrics and the log: also
// when the target echoes it back in a failure, and when a check prints it.
func TestSecretsNeverShown(t *testing.T) {
	var mu sync.Mutex
	plugin := filepath.Join(t.TempDir(), "tcp-plugin")
	if out, err := exec.Command("go", "build", "-o", plugin, "github.com/sloagent/sloagent/plugins/tcp").CombinedOutput(); err != nil {
		t.Fatalf("building the tcp plugin: %v\n%s", err, out)
	}
	var sentTCP strings.Builder // what the plugin sent
	tcp := testutil.ServeTCP(t, func(c *net.TCPConn) {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 256)
		n, _ := c.Read(b)
		mu.Lock()
		sentTCP.Write(b[:n])
		mu.Unlock()
		c.Write(b[:n])
	})
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
	refused := testutil.FreeAddr(t)

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-4b7f0e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLOAGENT_TEST_HEADER_SECRET", "env-header-91d2aa")
	t.Setenv("SLOAGENT_TEST_BODY_SECRET", "env-body-63c1bb")
	t.Setenv("SLOAGENT_TEST_ARG_SECRET", "env-arg-d40e77")
	t.Setenv("SLOAGENT_TEST_PLUGIN_SECRET", "env-plugin-5a09c2")
	t.Setenv("SLOAGENT_TEST_API_SECRET", "env-api-e71b44")
	secrets := []string{"inline-pw-1f9c3a", "env-header-91d2aa", "env-body-63c1bb", "env-arg-d40e77", "file-token-4b7f0e",
		"userinfo-pw-7a21cd", "query-tok-58e0b9", "header-cred-2cf6d1", "refused-pw-0d83e4", "refused-tok-b1c5a7",
		"env-plugin-5a09c2", "plugin-env-0b3f7d", "env-api-e71b44", "api-secret-c85d10"}
	host := strings.TrimPrefix(target.URL, "http://")
	ta := startAgent(t, fmt.Sprintf(`
incidents: {open_after_failures: 1}
plugins:
  - {name: tcp, command: %[4]s, env: {TCP_PLUGIN_TOKEN: plugin-env-0b3f7d}}
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
  - name: plugin
    kind: plugin
    target: %[5]s
    interval: 2s
    timeout: 1s
    plugin: {name: tcp, settings: {send: "hello ${SLOAGENT_TEST_PLUGIN_SECRET}\n", expect: "never sent back"}}
  - name: api
    kind: api
    target: http://%[1]s
    interval: 2s
    timeout: 1s
    api:
      variables: {session: "${SLOAGENT_TEST_API_SECRET}"}
      secrets: {key: api-secret-c85d10}
      steps:
        - name: fails
          request: {url: "{{target}}/fail?s={{session}}&k={{key}}"}
          assertions: [{status: 200}]
`, host, tokenFile, refused, plugin, tcp))

	names := []string{"inline", "file", "url", "refused", "check", "plugin", "api"}
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
	paths := []string{"/", "/config", "/metrics", "/incidents", "/api/v1/incidents", "/report"}
	for _, name := range names {
		paths = append(paths, "/probes/"+name+"/run")
	}
	var incidents struct {
		Incidents []struct {
			ID string `json:"id"`
		} `json:"incidents"`
	}
	waitFor(t, "incidents of the failing probes", func() bool {
		_, body := get(t, ta.web.URL+"/api/v1/incidents")
		return json.Unmarshal([]byte(body), &incidents) == nil && len(incidents.Incidents) >= 4
	})
	for _, inc := range incidents.Incidents {
		paths = append(paths, "/incidents/"+inc.ID, "/incidents/"+inc.ID+"/review", "/api/v1/incidents/"+inc.ID)
	}
	for _, path := range paths {
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
	sent += "\n" + sentTCP.String()
	for _, s := range []string{"header-cred-2cf6d1", "query-tok-58e0b9", "Basic ", "Bearer ", "env-plugin-5a09c2",
		"s=env-api-e71b44&k=api-secret-c85d10"} {
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
		"/probes/plugin/run?debug=true":     "result:   failure",
		"/probes/api/run?debug=true":        "result:   failure",
		"/config plugin":                    "        hello <secret>\n",
		"/config api":                       "session: <secret>",
		"/probes/url/run?debug=true target": "target:   http://probe:<secret>@" + host + "/fail?access_token=<secret>&page=2",
	} {
		page := pages[strings.Fields(where)[0]]
		if !strings.Contains(page, want) {
			t.Errorf("%s lacks %q:\n%s", where, want, page)
		}
	}
}
