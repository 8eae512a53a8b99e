package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/bench/internal/sched"
)

func TestParseCloudprober(t *testing.T) {
	// cloudprober v0.14.4's /metrics for one HTTP probe with the
	// first-byte breakdown after four runs, one refused, as it wrote it.
	f, err := os.Open("testdata/cloudprober-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseCloudprober(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]cloudproberRun{"p00000": {total: 4, success: 3, latency: 66971.175, firstByte: 64331.069}}
	if len(got) != 1 || got["p00000"] != want["p00000"] {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// With include_timestamp each line ends in the run's time, in ms.
	got, err = parseCloudprober(strings.NewReader(`latency{ptype="http",probe="p00001",dst="127.0.0.1"} 100512.5 1796400000123` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := got["p00001"]; r.latency != 100512.5 || r.at != 1796400000123 {
		t.Errorf("with a timestamp: %+v", r)
	}
}

func TestCloudproberConfig(t *testing.T) {
	l := load{n: 2, url: "http://127.0.0.1:8080/", interval: time.Second, timeout: 900 * time.Millisecond, record: true, paths: true}
	conf, err := cloudproberConfig(l, "127.0.0.1:9313")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"host: \"127.0.0.1\"\nport: 9313\n",
		"name: \"" + sched.Name(1) + "\"",
		"interval_msec: 1000\n  timeout_msec: 900\n",
		"port: 8080\n    relative_url: \"/" + sched.Name(1) + "\"",
		"latency_breakdown: [ FIRST_BYTE_LATENCY ]",
		"prometheus_surfacer { include_timestamp: true }",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	// Only loopback targets: the harness never sends traffic elsewhere.
	l.url = "http://192.0.2.1:80/"
	if _, err := cloudproberConfig(l, "127.0.0.1:9313"); err == nil {
		t.Error("a target beyond 127.0.0.1 was accepted")
	}
}
