package expo

import (
	"compress/gzip"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/munnerz/goautoneg"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// gzipHeaders are Accept-Encoding headers and whether they accept gzip.
var gzipHeaders = map[string]bool{
	"gzip":                       true,
	"gzip, deflate":              true,
	"deflate, gzip;q=0.5":        true,
	"GZIP":                       true,
	"gzip;q=0":                   false,
	"gzip; q=0":                  false,
	"gzip;q=0.000":               false,
	"gzip;q=0.001":               true,
	"identity":                   false,
	"":                           false,
	"*":                          true,
	"*;q=0":                      false,
	"*, gzip;q=0":                false,
	"br;q=1.0, gzip;q=0, *;q=.1": false,
	"gzip;q=bogus":               false,
	"x-gzip":                     true,
	"X-Gzip;q=0, *":              false,
}

func TestGzipAccepted(t *testing.T) {
	for header, want := range gzipHeaders {
		if got := GzipAccepted(header); got != want {
			t.Errorf("GzipAccepted(%q) = %v, want %v", header, got, want)
		}
	}
}

// Accept headers of scrapers and browsers, and the format each gets.
var acceptHeaders = map[string]Format{
	// Prometheus 3, with its default scrape protocols.
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1": FormatOpenMetrics,
	// Prometheus 2.
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1": FormatOpenMetrics,
	// Prometheus with native histograms on.
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3": FormatProto,
	"text/plain;version=0.0.4": FormatText,
	// Browsers and curl.
	"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8": FormatText,
	"*/*": FormatText,
	"":    FormatText,
	// Ranges of quality 0 are refused, even when nothing else matches.
	"application/openmetrics-text;version=1.0.0;q=0":                                                              FormatText,
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0, text/html":   FormatText,
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.0, */*;q=0.1": FormatText,
	"application/openmetrics-text;version=1.0.0;q=bogus":                                                          FormatText,
	"application/openmetrics-text;version=1.0.0;q=0, application/openmetrics-text;version=1.0.0;q=0.2":            FormatOpenMetrics,
	// What is not a media range is passed over.
	"application/openmetrics-text;version=1.0.0;q=0.5,,;;,/,a/b/c,text/plain;q=0.1": FormatOpenMetrics,
}

// /metrics serves what the scraper asks for: what Prometheus and browsers
// send, a header sent in several lines, and ranges the scraper refuses.
func TestNegotiate(t *testing.T) {
	for accept, want := range acceptHeaders {
		if got := Negotiate(http.Header{"Accept": {accept}}); got != want {
			t.Errorf("Accept %q: %s, want %s", accept, got.ContentType(), want.ContentType())
		}
	}
	lines := http.Header{"Accept": {"text/html;q=0.9", "application/openmetrics-text;version=1.0.0;q=0.5"}}
	if got := Negotiate(lines); got != FormatOpenMetrics {
		t.Errorf("Accept in two lines %q: %s, want OpenMetrics", lines["Accept"], got.ContentType())
	}
	// A scraper that asks for exactly what a format is served as gets it.
	for _, f := range []Format{FormatText, FormatProto, FormatOpenMetrics} {
		if got := Negotiate(http.Header{"Accept": {f.ContentType()}}); got != f {
			t.Errorf("Accept %q: %s", f.ContentType(), got.ContentType())
		}
	}
}

// An Accept-Encoding header sent in several lines is read as one.
func TestGzipAcceptedInSeveralLines(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "sloagent_reloads_total", Help: "Reloads."}))
	e := &Exposition{Rest: reg}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.ServeHTTP(w, r, slog.New(slog.DiscardHandler))
	}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header["Accept-Encoding"] = []string{"br", "gzip"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want gzip", req.Header["Accept-Encoding"], resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(body), "sloagent_reloads_total 0") {
		t.Errorf("body %q (%v)", body, err)
	}
}

// FuzzNegotiate reads any Accept and Accept-Encoding header, in several
// lines: it never panics, serves protobuf or OpenMetrics only to a
// scraper that named it with a quality above 0, and gzip only to one that
// named gzip or *.
func FuzzNegotiate(f *testing.F) {
	encodings := slices.Sorted(maps.Keys(gzipHeaders))
	for i, accept := range slices.Sorted(maps.Keys(acceptHeaders)) {
		f.Add(accept, encodings[i%len(encodings)])
	}
	f.Add("text/plain;q=NaN\napplication/openmetrics-text;version=1.0.0;q=0.5", "br\ngzip")
	f.Add("application/*;version=1.0.0;q=Inf", "x-gzip;q=1")
	f.Fuzz(func(t *testing.T, accept, encoding string) {
		h := http.Header{"Accept": strings.Split(accept, "\n")}
		got := Negotiate(h)
		if got != FormatText {
			served := goautoneg.ParseAccept(got.ContentType())[0]
			named := false
			for _, line := range h["Accept"] {
				for _, r := range strings.Split(line, ",") {
					for _, c := range goautoneg.ParseAccept(r) {
						if c.Q > 0 && (c.Type == "*" || c.Type == served.Type) && (c.SubType == "*" || c.SubType == served.SubType) {
							named = true
						}
					}
				}
			}
			if !named {
				t.Errorf("Accept %q: served %s, which it did not ask for", h["Accept"], got.ContentType())
			}
		}
		if ft := expfmt.Format(got.ContentType()).FormatType(); ft == expfmt.TypeUnknown {
			t.Errorf("Accept %q: served %q, which no scraper reads", h["Accept"], got.ContentType())
		}
		if GzipAccepted(encoding) && !strings.Contains(strings.ToLower(encoding), "gzip") && !strings.Contains(encoding, "*") {
			t.Errorf("Accept-Encoding %q: gzip, which it did not name", encoding)
		}
	})
}
