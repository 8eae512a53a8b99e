package probetest

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
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sloagent/sloagent/probes"
)

// Blackbox is the blackbox_exporter Debian ships (0.23), run by a test to
// compare a kind's values with its own for the same target and module.
type Blackbox struct{ url string }

// Modules is the text of a blackbox_exporter config: a module a case.
type Modules struct{ b strings.Builder }

// Add adds module name of prober with timeout and section, the prober's
// settings as YAML flow text, with or without its braces.
func (m *Modules) Add(name, prober, timeout, section string) {
	if m.b.Len() == 0 {
		m.b.WriteString("modules:\n")
	}
	if !strings.HasPrefix(section, "{") {
		section = "{" + section + "}"
	}
	fmt.Fprintf(&m.b, "  %s: {prober: %s, timeout: %s, %s: %s}\n", name, prober, timeout, prober, section)
}

func (m *Modules) String() string { return m.b.String() }

// StartBlackbox runs Debian's blackbox_exporter with modules (its config
// file's text) on a socket the test listens on (port 0), handed over by
// systemd socket activation, and stops it when the test ends.
func StartBlackbox(t *testing.T, modules string) Blackbox {
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
	b := Blackbox{url: "http://" + ln.Addr().String()}
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

// Families runs module against target and returns what blackbox_exporter
// reported, by family name.
func (b Blackbox) Families(t *testing.T, module, target string) map[string]*dto.MetricFamily {
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
	return mfs
}

// Probe runs module against target and returns the gauges without labels
// that blackbox_exporter reported.
func (b Blackbox) Probe(t *testing.T, module, target string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, mf := range b.Families(t, module, target) {
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 0 && mf.GetType() == dto.MetricType_GAUGE {
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// Gauge is the value of blackbox_exporter's unlabelled gauge name, as Find
// is of a run's sample.
func Gauge(mfs map[string]*dto.MetricFamily, name string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok || mf.GetType() != dto.MetricType_GAUGE {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) == 0 {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// LabelValues are the sorted values of label in blackbox_exporter's family
// name: the phases of a duration, the versions of a TLS info.
func LabelValues(mfs map[string]*dto.MetricFamily, name, label string) []string {
	var out []string
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	slices.Sort(out)
	return out
}

// ResultLabelValues are LabelValues of a run's samples.
func ResultLabelValues(res probes.Result, name, label string) []string {
	var out []string
	for _, s := range res.Samples {
		if s.Name != name {
			continue
		}
		for _, l := range s.Labels {
			if l.Name == label {
				out = append(out, l.Value)
			}
		}
	}
	slices.Sort(out)
	return out
}
