package agent

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// sloagent review prints what the agent answers only when it is a whole
// Markdown draft: an answer cut short, too large, or from something else
// at that address is an error that says so, and an error page is shown
// by its first lines.
func TestReviewOfAnAgentThatAnswersBadly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimSuffix(r.URL.Path, "/incidents/1/review") {
		case "/huge":
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			line := bytes.Repeat([]byte("a line of the timeline\n"), 1<<16)
			for written := 0; written <= maxReviewSize; written += len(line) {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		case "/login":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body><form>sign in</form></body></html>")
		case "/cut":
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			w.Header().Set("Content-Length", "4096")
			fmt.Fprint(w, "# Incident 1: Probe checkout is failing\n")
		case "/proxy":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head>", strings.Repeat("<p>padding</p>", 10000))
		}
	}))
	defer srv.Close()
	ok, _ := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - {name: up, target: %s, interval: 1h}\n", ok.URL))
	for url, want := range map[string]string{
		srv.URL + "/huge":  "is larger than 16 MiB: not printed",
		srv.URL + "/login": `answered with "text/html; charset=utf-8", not the agent's Markdown`,
		srv.URL + "/cut":   "broke off: unexpected EOF",
		srv.URL + "/proxy": "502 Bad Gateway: <html><head><title>502 Bad Gateway</title>",
		ta.web.URL:         "404 Not Found: no incident 1",
	} {
		var out, errOut bytes.Buffer
		code := Main([]string{"review", "--agent.url=" + url, "1"}, &out, &errOut)
		if code != exitFailed || out.Len() != 0 || !strings.Contains(errOut.String(), want) {
			t.Errorf("review of %s: exit %d, %d bytes out, stderr %.300q; want exit 1, nothing out and %q",
				url, code, out.Len(), errOut.String(), want)
		}
		if errOut.Len() > 2*maxErrorText {
			t.Errorf("review of %s: %d bytes of error", url, errOut.Len())
		}
	}
}
