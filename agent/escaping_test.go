package agent

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What a check prints, a label, a target's URL and a runbook link reach
// the status page, the run page and the incident pages as text, never as
// markup or script.
func TestPagesEscapeWhatChecksAndConfigsSay(t *testing.T) {
	const payload = `"><img src=x onerror=alert(1)><script>alert(2)</script>`
	said := filepath.Join(t.TempDir(), "said")
	if err := os.WriteFile(said, []byte(payload+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:1/?q=" + strings.NewReplacer(`"`, "%22", " ", "%20").Replace(payload)
	ta := startAgent(t, fmt.Sprintf(`
agent: {name: esc, labels: {owner: '%[1]s'}}
probes:
  - name: hostile
    kind: command
    target: 127.0.0.1:1
    interval: 100ms
    command: {path: /bin/sh, args: ["-c", "cat %[2]s; exit 2"]}
    labels: {team: '%[1]s'}
    alert: {failures: 1, runbook_url: 'https://runbooks.example/?q=%[1]s'}
  - {name: url, target: '%[3]s', interval: 1h}
alerting: {evaluation_interval: 1s}
incidents: {open_after_failures: 1}
`, payload, said, url))
	waitFor(t, "the alert on the incident page", func() bool {
		_, body := get(t, ta.web.URL+"/incidents/1")
		return strings.Contains(body, "ProbeFailing")
	})
	for path, shows := range map[string]string{"/": "onerror=alert(1)", "/probes/hostile/run": "hostile",
		"/probes/url/run": "onerror=alert(1)", "/incidents": "hostile", "/incidents/1": "onerror=alert(1)"} {
		code, body := get(t, ta.web.URL+path)
		if code != http.StatusOK || !strings.Contains(body, shows) {
			t.Errorf("%s: %d, without %q", path, code, shows)
			continue
		}
		for _, raw := range []string{"<img src=x", "<script>alert", `href="javascript:`} {
			if i := strings.Index(body, raw); i >= 0 {
				t.Errorf("%s has %q unescaped: …%s…", path, raw, body[max(0, i-80):min(len(body), i+80)])
			}
		}
	}
}
