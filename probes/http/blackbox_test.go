package http

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

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
	var modules probetest.Modules
	for _, c := range cases {
		modules.Add(c.name, "http", "5s", c.http)
	}
	bb := probetest.StartBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			theirs := bb.Probe(t, c.name, s+c.path)
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
	theirs := bb.Probe(t, "plain", host+"/plain")
	ours := probe(t, host+"/plain", nil)
	if theirs["probe_success"] != 1 || !ours.Success {
		t.Errorf("bare target: blackbox_exporter %v, ours %v (%s)", theirs["probe_success"], ours.Success, ours.Message)
	}
}
