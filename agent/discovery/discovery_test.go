package discovery

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sloagent/sloagent/internal/conf"
	tu "github.com/sloagent/sloagent/internal/testutil"
	phttp "github.com/sloagent/sloagent/probes/http"
)

func testMetrics() *Metrics {
	return &Metrics{
		Targets:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "t"}, []string{"source"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "l"}, []string{"source"}),
		Failing:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "f"}, []string{"source"}),
		Failures:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "n"}, []string{"source"}),
	}
}

// http_sd fetches Prometheus' JSON with the configured credentials; a
// 500 keeps the last targets, counted and logged once.
func TestHTTPSource(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "sd" || p != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		w.Write([]byte(`[{"targets": ["10.0.0.1:80", "10.0.0.2:80"], "labels": {"dc": "fra"}}]`))
	}))
	defer srv.Close()
	c := HTTPSDConfig{URL: conf.URL(srv.URL), BasicAuth: &phttp.BasicAuth{Username: "sd", Password: "pw"}}
	c.ApplyDefaults()
	r := conf.NewReport()
	c.Validate(r)
	if !r.Empty() {
		t.Fatal(r.Problems())
	}
	var logs tu.Buffer
	m := NewManager(slog.New(slog.NewTextHandler(&logs, nil)), testMetrics(), func() {})
	defer m.Stop()
	m.Update([]Spec{{Name: "s", Key: Key(c), Interval: c.RefreshInterval.D(), New: func() (Source, error) { return NewHTTPSource(c) }}})
	ts := m.Targets("s")
	if len(ts) != 2 || ts[0].Labels["dc"] != "fra" || ts[0].Labels["__meta_url"] != srv.URL {
		t.Fatalf("targets %+v", ts)
	}
	status.Store(500)
	s := m.sources["s"]
	for range 3 {
		m.refresh(context.Background(), s)
	}
	if len(m.Targets("s")) != 2 || testutil.ToFloat64(m.metrics.Failures.WithLabelValues("s")) != 3 ||
		testutil.ToFloat64(m.metrics.Failing.WithLabelValues("s")) != 1 {
		t.Errorf("after failures: %d targets", len(m.Targets("s")))
	}
	if n := strings.Count(logs.String(), "discovery source failing"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, logs.String())
	}
	if st := m.Status(); len(st) != 1 || !strings.Contains(st[0].Error, "status 500") {
		t.Errorf("status %+v", st)
	}
}

// dns_sd turns SRV records into host:port targets and A records into
// addresses with the configured port, from a DNS server on loopback; a
// name that stops resolving keeps the last targets.
func TestDNSSource(t *testing.T) {
	addr := tu.ServeDNS(t, "udp", tu.Zone(t,
		"_http._tcp.svc.test. 60 IN SRV 10 5 8080 web1.svc.test.",
		"_http._tcp.svc.test. 60 IN SRV 10 5 8081 web2.svc.test.",
		"web.svc.test. 60 IN A 127.0.0.7",
	), nil)
	for _, tc := range []struct {
		c    DNSSDConfig
		want []string
	}{
		{DNSSDConfig{Names: []string{"_http._tcp.svc.test."}, Server: addr}, []string{"web1.svc.test:8080", "web2.svc.test:8081"}},
		{DNSSDConfig{Names: []string{"web.svc.test."}, Type: "A", Port: 9100, Server: addr}, []string{"127.0.0.7:9100"}},
	} {
		tc.c.ApplyDefaults()
		r := conf.NewReport()
		tc.c.Validate(r)
		if !r.Empty() {
			t.Fatal(r.Problems())
		}
		ts, err := NewDNSSource(tc.c).Refresh(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ts {
			got = append(got, x.Address)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") || ts[0].Labels["__meta_dns_name"] != tc.c.Names[0] {
			t.Errorf("%s: targets %+v, want %v", tc.c.Type, ts, tc.want)
		}
	}
	c := DNSSDConfig{Names: []string{"gone.svc.test."}, Type: "A", Port: 80, Server: addr}
	c.ApplyDefaults()
	if _, err := NewDNSSource(c).Refresh(context.Background()); err == nil {
		t.Error("a name without records gave no error")
	}
}

// SRV records of a name that say its service is not there (target ".")
// give no target, rather than one with an empty host and port 0, and a
// host and port listed twice is one target.
func TestDNSSourceSRVEdgeCases(t *testing.T) {
	addr := tu.ServeDNS(t, "udp", tu.Zone(t,
		"_none._tcp.svc.test. 60 IN SRV 0 0 0 .",
		"_twice._tcp.svc.test. 60 IN SRV 10 5 8080 web1.svc.test.",
		"_twice._tcp.svc.test. 60 IN SRV 20 5 8080 web1.svc.test.",
	), nil)
	for name, want := range map[string]string{"_none._tcp.svc.test.": "", "_twice._tcp.svc.test.": "web1.svc.test:8080"} {
		c := DNSSDConfig{Names: []string{name}, Server: addr}
		c.ApplyDefaults()
		ts, err := NewDNSSource(c).Refresh(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ts {
			got = append(got, x.Address)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: targets %q, want %q", name, got, want)
		}
	}
}
