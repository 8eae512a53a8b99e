package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A Prometheus with native histograms on asks for protobuf first, and only
// protobuf carries a native histogram. This one scrapes the built binary:
// every probe's run durations reach it as a native histogram whose one
// observation is the run's duration to the last bit, in the bucket it
// belongs in, beside the gauges of the same scrape.
func TestNativeHistogramsWithPrometheus(t *testing.T) {
	ok, broken := targets(t)
	cfgFile := filepath.Join(t.TempDir(), "sloagent.yml")
	// At a 10 s interval each probe runs within 5 s of the start, then
	// not for at least 5 s more: a window with one observation each.
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
probes:
  - {name: up, target: %s, interval: 10s, timeout: 2s}
  - {name: down, target: %s, interval: 10s, timeout: 2s}
`, ok.URL, broken.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := startBinary(t, "--config.file="+cfgFile)
	prom := startPrometheus(t, fmt.Sprintf(`
global: {scrape_interval: 500ms}
scrape_configs:
  - job_name: sloagent
    static_configs: [{targets: ["%s"]}]
`, agent.addr), "--enable-feature=native-histograms")

	for probe, success := range map[string]float64{"up": 1, "down": 0} {
		sel := fmt.Sprintf(`{job="sloagent", probe=%q}`, probe)
		waitFor(t, "a native histogram of "+probe+"'s runs", func() bool {
			n, ok := prom.Value(t, "histogram_count(probe_run_duration_seconds"+sel+")")
			return ok && n >= 1
		})
		// One query, so that every value comes from the same scrape.
		got := map[string]float64{}
		for _, s := range prom.Query(t, fmt.Sprintf(`
  label_replace(histogram_count(probe_run_duration_seconds%[1]s), "v", "count", "", "")
or label_replace(histogram_sum(probe_run_duration_seconds%[1]s), "v", "sum", "", "")
or label_replace(histogram_quantile(0.5, probe_run_duration_seconds%[1]s), "v", "median", "", "")
or label_replace(probe_duration_seconds%[1]s, "v", "last", "", "")
or label_replace(probe_runs_total%[1]s, "v", "runs", "", "")
or label_replace(probe_success%[1]s, "v", "success", "", "")`, sel)) {
			got[s.Labels["v"]] = s.Value
		}
		if len(got) != 6 {
			t.Fatalf("%s: got %v, want count, sum, median, last, runs and success", probe, got)
		}
		if got["success"] != success {
			t.Errorf("%s: probe_success = %v, want %v", probe, got["success"], success)
		}
		if got["count"] != got["runs"] {
			t.Errorf("%s: the native histogram counts %v runs, probe_runs_total %v", probe, got["count"], got["runs"])
		}
		if got["count"] != 1 {
			t.Logf("%s: a second run came first; its sum and median are not checked", probe)
			continue
		}
		if got["sum"] != got["last"] || got["last"] <= 0 {
			t.Errorf("%s: the native histogram's sum is %v, the run took %v", probe, got["sum"], got["last"])
		}
		// Buckets of schema 3 are 2^(1/8) ≈ 1.09 wide: the median of one
		// observation lies in the bucket that holds it.
		if d, m := got["last"], got["median"]; m < d/1.0906 || m > d*1.0906 {
			t.Errorf("%s: the native histogram's median is %v, outside the bucket of the one run of %v", probe, m, d)
		}
	}
}
