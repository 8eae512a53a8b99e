package agent

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\n\twith tabs":                    "plain text\n\twith tabs",
		"HTTP/1.1 200 OK\x1b]0;title\x07\x1b[31mred": `HTTP/1.1 200 OK\x1b]0;title\x07\x1b[31mred`,
		"line\roverwritten":                          `line\x0doverwritten`,
		"del\x7f c1\u009b[2J":                        `del\x7f c1\u009b[2J`,
		"bad \xff\xfe utf-8":                         `bad \xff\xfe utf-8`,
		"µs, ☃ and \ufffd stay":                      "µs, ☃ and \ufffd stay",
		"":                                           "",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// A target or a check that answers with terminal escape sequences has
// them shown, not acted on, where a terminal prints them: sloagent probe,
// a run's POST read with curl, and sloagent review.
func TestEscapeSequencesFromTargetsAreShownNotSent(t *testing.T) {
	const esc = "\x1b]0;retitled\x07\x1b[2J\x1b[31m"
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) {
		buf := make([]byte, 4096)
		var req []byte
		for !bytes.Contains(req, []byte("\r\n\r\n")) {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			req = append(req, buf[:n]...)
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK%s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", esc)
	})
	said := filepath.Join(t.TempDir(), "said")
	if err := os.WriteFile(said, []byte("CRITICAL: "+esc+"down\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ta := startAgent(t, fmt.Sprintf(`
probes:
  - {name: status-line, target: 'http://%s/', interval: 1h}
  - name: check
    kind: command
    target: 127.0.0.1:1
    interval: 100ms
    command: {path: /bin/sh, args: ["-c", "cat %s; exit 2"]}
incidents: {open_after_failures: 1}
`, addr, said))

	var out, errOut bytes.Buffer
	code := Main([]string{"probe", "http://" + addr + "/"}, &out, &errOut)
	_, run := post(t, ta.web.URL+"/probes/status-line/run")
	waitFor(t, "an incident", func() bool {
		code, _ := get(t, ta.web.URL+"/incidents/1")
		return code == http.StatusOK
	})
	var review, reviewErr bytes.Buffer
	reviewCode := Main([]string{"review", "--agent.url=" + ta.web.URL, "1"}, &review, &reviewErr)
	onceConfig := filepath.Join(t.TempDir(), "once.yml")
	if err := os.WriteFile(onceConfig, []byte(fmt.Sprintf("probes:\n  - {name: status-line, target: 'http://%s/'}\n", addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	var once, onceErr bytes.Buffer
	onceCode := Main([]string{"once", "--config.file=" + onceConfig}, &once, &onceErr)
	for what, text := range map[string]string{
		fmt.Sprintf("sloagent probe (exit %d)", code): out.String() + errOut.String(),
		"the run's POST": run,
		fmt.Sprintf("sloagent review (exit %d)", reviewCode): review.String() + reviewErr.String(),
		fmt.Sprintf("sloagent once (exit %d)", onceCode):     once.String() + onceErr.String(),
	} {
		if strings.ContainsAny(text, "\x1b\x07") || !strings.Contains(text, `\x1b]0;retitled\x07\x1b[2J`) {
			t.Errorf("%s:\n%q", what, text)
		}
	}
}
