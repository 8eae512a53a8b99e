package http

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Side by side with the blackbox_exporter Debian ships (0.23): the same
// local server, the same http section, the same values. Only what 0.23
// and its master branch agree on is compared here (CEL, HTTP/3 and the
// newer client options are master's only; their tests follow its docs).

// comparedSamples are the values a dashboard reads off both.
var comparedSamples = []string{
	"probe_success", MetricStatusCode, MetricContentLength, MetricUncompressedBody,
	MetricRedirects, MetricVersion, MetricFailedDueToRegex, MetricSSL,
}

func TestSameValuesAsBlackboxExporter(t *testing.T) {
	long := bytes.Repeat([]byte{'A'}, 129)
	mux := http.NewServeMux()
	mux.Handle("/plain", sends(200, "", testMsg))
	mux.Handle("/404", sends(404, "", []byte("not found")))
	mux.Handle("/204", sends(204, "", nil))
	for _, enc := range []string{"gzip", "deflate", "br", "identity"} {
		mux.Handle("/"+enc, sends(200, enc, encode(t, enc, testMsg)))
	}
	mux.Handle("/long", sends(200, "", long))
	mux.Handle("/long-gzip", sends(200, "gzip", encode(t, "gzip", long)))
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/plain", http.StatusFound) })
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/chain/"))
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n+1), http.StatusFound)
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "c", Value: "v"})
		http.Redirect(w, r, "/need-cookie", http.StatusFound)
	})
	mux.HandleFunc("/need-cookie", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("c"); err != nil || c.Value != "v" {
			http.Error(w, "no cookie", http.StatusForbidden)
			return
		}
		w.Header().Set("X-Flag", "bad")
		w.Write(testMsg)
	})
	s := server(t, mux.ServeHTTP).URL
	host := strings.TrimPrefix(s, "http://")

	cases := []struct{ name, path, http string }{
		{"plain", "/plain", ""},
		{"not_found", "/404", ""},
		{"no_content", "/204", ""},
		{"gzip", "/gzip", "compression: gzip"},
		{"deflate", "/deflate", "compression: deflate"},
		{"br", "/br", "compression: br"},
		{"identity", "/identity", "compression: identity"},
		{"mismatch", "/gzip", "compression: deflate"},
		{"not_asked", "/gzip", ""},
		{"long", "/long", "body_size_limit: 128B"},
		{"long_gzip", "/long-gzip", "{compression: gzip, body_size_limit: 128B}"},
		{"redirect", "/redirect", ""},
		{"unfollowed", "/redirect", "{follow_redirects: false, valid_status_codes: [302]}"},
		{"unfollowed_fails", "/redirect", "follow_redirects: false"},
		{"chain", "/chain/0", ""},
		{"cookie", "/cookie", ""},
		{"header_regex", "/cookie", "fail_if_header_matches: [{header: X-Flag, regexp: bad}]"},
		{"body_regex", "/plain", "fail_if_body_not_matches_regexp: [nothere]"},
		{"body_regex_ok", "/plain", "fail_if_body_matches_regexp: [nothere]"},
		{"version", "/plain", "valid_http_versions: [HTTP/2.0]"},
	}
	var modules strings.Builder
	modules.WriteString("modules:\n")
	for _, c := range cases {
		h := c.http
		if !strings.HasPrefix(h, "{") {
			h = "{" + h + "}"
		}
		fmt.Fprintf(&modules, "  %s: {prober: http, timeout: 5s, http: %s}\n", c.name, h)
	}
	bb := startBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			theirs := bb.probe(t, c.name, s+c.path)
			ours := probe(t, s+c.path, probetest.Section[Config](t, c.http+"\n"))
			for _, name := range comparedSamples {
				var v float64
				if name == "probe_success" {
					v = b2f(ours.Success)
				} else {
					v = probetest.Sample(t, ours, name)
				}
				want, ok := theirs[name]
				if !ok {
					t.Errorf("blackbox_exporter reported no %s", name)
				} else if v != want {
					t.Errorf("%s: ours %v, blackbox_exporter's %v (%s: %s)", name, v, want, ours.Reason, ours.Message)
				}
			}
		})
	}

	// A bare host:port target means http://host:port for both.
	theirs := bb.probe(t, "plain", host+"/plain")
	ours := probe(t, host+"/plain", nil)
	if theirs["probe_success"] != 1 || !ours.Success {
		t.Errorf("bare target: blackbox_exporter %v, ours %v (%s)", theirs["probe_success"], ours.Success, ours.Message)
	}
}

type blackbox struct{ url string }

// startBlackbox runs Debian's blackbox_exporter with modules on a socket
// the test listens on (port 0), handed over by systemd socket activation.
func startBlackbox(t *testing.T, modules string) blackbox {
	t.Helper()
	bin, err := exec.LookPath("prometheus-blackbox-exporter")
	if err != nil {
		t.Fatal("prometheus-blackbox-exporter not found: install Debian's prometheus-blackbox-exporter package (scripts/test does)")
	}
	file := filepath.Join(t.TempDir(), "blackbox.yml")
	if err := os.WriteFile(file, []byte(modules), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := blackbox{url: "http://" + ln.Addr().String()}
	f, err := ln.(*net.TCPListener).File()
	ln.Close() // the exporter has its own copy, and is the only one to accept
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// LISTEN_PID must be the exporter's own pid: the shell sets it to
	// its own and then becomes the exporter.
	cmd := exec.Command("/bin/sh", "-c", `export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$@"`,
		bin, "--config.file="+file, "--web.systemd-socket", "--web.external-url="+b.url+"/", "--log.level=warn")
	cmd.ExtraFiles = []*os.File{f} // fd 3
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("blackbox_exporter's log:\n%s", stderr.String())
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(b.url + "/-/healthy")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return b
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("blackbox_exporter exited: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("blackbox_exporter did not start: %v\n%s", err, stderr.String())
		}
	}
}

// probe runs module against target and returns the gauges it reported.
func (b blackbox) probe(t *testing.T, module, target string) map[string]float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.url+"/probe?module="+module+"&target="+url.QueryEscape(target), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("blackbox_exporter /probe: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 0 && mf.GetType() == dto.MetricType_GAUGE {
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}
