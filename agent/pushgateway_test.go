package agent

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// startPushgateway runs Debian's prometheus-pushgateway on loopback.
func startPushgateway(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-pushgateway")
	if err != nil {
		t.Fatal("prometheus-pushgateway not found: install Debian's prometheus-pushgateway package (scripts/test does)")
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startServer(t, bin, "--web.listen-address="+addr, "--persistence.file="+filepath.Join(t.TempDir(), "pushgateway.data"))
	url := "http://" + addr
	waitFor(t, "the Pushgateway to be ready", func() bool {
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return url
}

// gatewaySeries reads the Pushgateway's /metrics: every series by name
// and labels rendered as name{k="v",...} in label order.
func gatewaySeries(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the Pushgateway's /metrics does not parse: %v", err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var b strings.Builder
			b.WriteString(name + "{")
			for i, l := range m.GetLabel() {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%s=%q", l.GetName(), l.GetValue())
			}
			b.WriteByte('}')
			out[b.String()] = gaugeOrCounter(m)
		}
	}
	return out
}

func gaugeOrCounter(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return -1
}

// A real Pushgateway receives the runs of `once` under the agent's group,
// with counters that add up across runs, and the daemon's pushes on its
// interval; a push target that is down is counted and logged while the
// other keeps receiving.
func TestPushgateway(t *testing.T) {
	t.Parallel()
	ok, broken := targets(t)
	gw := startPushgateway(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "once.yml", fmt.Sprintf(`
agent: {name: edge, location: lab}
probes:
  - {name: up, target: %s, interval: 300ms, timeout: 250ms}
  - {name: down, target: %s, interval: 300ms, timeout: 250ms}
slos:
  - {name: web, probes: [up, down], objective: 90}
`, ok.URL, broken.URL))
	for range 2 {
		r := runOnceBinary(t, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "state"), "--push.pushgateway-url="+gw)
		if r.code != 1 || !strings.Contains(r.stdout, "pushed to pushgateway") {
			t.Fatalf("once: exit %d (want 1: a probe fails), stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	}
	got := gatewaySeries(t, gw)
	for series, want := range map[string]float64{
		`probe_success{agent="edge",instance="edge",job="sloagent",location="lab",probe="up"}`:        1,
		`probe_success{agent="edge",instance="edge",job="sloagent",location="lab",probe="down"}`:      0,
		`slo_events_total{agent="edge",instance="edge",job="sloagent",location="lab",slo="web"}`:      4,
		`slo_good_events_total{agent="edge",instance="edge",job="sloagent",location="lab",slo="web"}`: 2,
		`probe_runs_total{agent="edge",instance="edge",job="sloagent",location="lab",probe="down"}`:   2,
	} {
		if v, found := got[series]; !found || v != want {
			t.Errorf("%s = %v (found %v), want %v", series, v, found, want)
		}
	}

	daemonCfg := writeConfig(t, dir, "daemon.yml", fmt.Sprintf(`
agent: {name: daemon}
push:
  interval: 300ms
  max_retries: 0
  pushgateway: {url: %s}
  remote_write: {url: "http://127.0.0.1:%d/api/v1/write"}
probes:
  - {name: up, target: %s, interval: 200ms, timeout: 150ms}
`, gw, freePort(t), ok.URL))
	d := startBinary(t, "--config.file="+daemonCfg)
	waitFor(t, "the daemon's runs at the Pushgateway", func() bool {
		v, found := gatewaySeries(t, gw)[`probe_runs_total{agent="daemon",instance="daemon",job="sloagent",probe="up"}`]
		return found && v >= 3
	})
	waitFor(t, "the failed remote write to be counted", func() bool {
		v, _ := scrapeValue(t, d.addr, `sloagent_push_failures_total{agent="daemon",target="remote_write"}`)
		return v >= 1
	})
	if v, _ := scrapeValue(t, d.addr, `sloagent_push_failures_total{agent="daemon",target="pushgateway"}`); v != 0 {
		t.Errorf("%v failed pushes to a working Pushgateway", v)
	}
	if !strings.Contains(d.logs.String(), `msg="push failed" target=remote_write`) {
		t.Errorf("no log line for the failed push:\n%s", d.logs.String())
	}
	// The old group of `once` stays: the daemon has a group of its own.
	if _, found := gatewaySeries(t, gw)[`probe_success{agent="edge",instance="edge",job="sloagent",location="lab",probe="up"}`]; !found {
		t.Error("the daemon's push replaced another agent's group")
	}
}
