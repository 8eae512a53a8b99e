package deploy_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/testutil"
)

type scrapeConfig struct {
	ScrapeConfigs []struct {
		JobName        string `yaml:"job_name"`
		RelabelConfigs []struct {
			SourceLabels []string `yaml:"source_labels"`
			Regex        string   `yaml:"regex"`
			Action       string   `yaml:"action"`
		} `yaml:"relabel_configs"`
	} `yaml:"scrape_configs"`
}

func loadScrapeConfig(t *testing.T) scrapeConfig {
	t.Helper()
	data, err := os.ReadFile("prometheus-scrape.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c scrapeConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// pod is one pod as Kubernetes service discovery would describe it.
type pod struct {
	addr, portName, phase, name string
}

// loadLoopbackConfig rewrites prometheus-scrape.yml so it runs here: Debian's
// Prometheus is built without Kubernetes discovery, so the kubernetes_sd
// job gets the same __meta_kubernetes_* labels from static targets, and
// every target is on 127.0.0.1. Everything else (the relabelling under
// test) stays as written.
func loadLoopbackConfig(t *testing.T, pods []pod, hostAddr string) []byte {
	t.Helper()
	data, err := os.ReadFile("prometheus-scrape.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	jobs, _ := cfg["scrape_configs"].([]any)
	seen := 0
	for _, j := range jobs {
		job := j.(map[string]any)
		switch job["job_name"] {
		case "sloagent":
			if _, ok := job["kubernetes_sd_configs"]; !ok {
				t.Fatal("the sloagent job no longer uses kubernetes_sd_configs; update this test")
			}
			delete(job, "kubernetes_sd_configs")
			var groups []any
			for _, p := range pods {
				groups = append(groups, map[string]any{
					"targets": []string{p.addr},
					"labels": map[string]string{
						"__meta_kubernetes_namespace":                        "shop",
						"__meta_kubernetes_pod_name":                         p.name,
						"__meta_kubernetes_pod_phase":                        p.phase,
						"__meta_kubernetes_pod_container_port_name":          p.portName,
						"__meta_kubernetes_pod_label_app_kubernetes_io_name": "checkout",
					},
				})
			}
			job["static_configs"] = groups
			seen++
		case "sloagent-hosts":
			sc := job["static_configs"].([]any)[0].(map[string]any)
			sc["targets"] = []string{hostAddr}
			seen++
		}
	}
	if seen != 2 {
		t.Fatalf("prometheus-scrape.yml should have the jobs sloagent and sloagent-hosts")
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPrometheusScrapeConfigSelectsSidecars(t *testing.T) {
	promtool := lookPath(t, "promtool")
	dir := t.TempDir()
	pods := []pod{
		{testutil.FreeAddr(t), "sloagent", "Running", "checkout-7d9f-a"},
		{testutil.FreeAddr(t), "http", "Running", "checkout-7d9f-a"},     // the app's own port
		{testutil.FreeAddr(t), "sloagent", "Pending", "checkout-7d9f-b"}, // not started yet
	}
	hostAddr := testutil.FreeAddr(t)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, loadLoopbackConfig(t, pods, hostAddr), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}

	prom := testutil.StartPrometheus(t, string(loadLoopbackConfig(t, pods, hostAddr)), nil)

	type target struct {
		Labels           map[string]string `json:"labels"`
		DiscoveredLabels map[string]string `json:"discoveredLabels"`
	}
	var targets struct {
		Data struct {
			Active  []target `json:"activeTargets"`
			Dropped []target `json:"droppedTargets"`
		} `json:"data"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(prom.URL + "/api/v1/targets")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil && len(targets.Data.Active)+len(targets.Data.Dropped) == len(pods)+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus did not list its targets within 30s: %v, %+v", err, targets)
		}
		time.Sleep(200 * time.Millisecond)
	}

	got := map[string]map[string]string{}
	for _, a := range targets.Data.Active {
		got[a.Labels["instance"]] = a.Labels
	}
	if len(got) != 2 {
		t.Errorf("active targets %v; want the running sidecar and the host", got)
	}
	want := map[string]string{
		"job": "sloagent", "instance": pods[0].addr, "namespace": "shop", "pod": "checkout-7d9f-a", "app": "checkout",
	}
	for k, v := range want {
		if got[pods[0].addr][k] != v {
			t.Errorf("sidecar target label %s=%q, want %q (labels %v)", k, got[pods[0].addr][k], v, got[pods[0].addr])
		}
	}
	if l := got[hostAddr]; l["job"] != "sloagent-hosts" || l["deployment"] != "host" {
		t.Errorf("host target labels %v, want job sloagent-hosts and deployment=host", l)
	}
	if len(targets.Data.Dropped) != 2 {
		t.Errorf("dropped %d targets, want the app's port and the pending pod", len(targets.Data.Dropped))
	}
	for _, d := range targets.Data.Dropped {
		if a := d.DiscoveredLabels["__address__"]; a != pods[1].addr && a != pods[2].addr {
			t.Errorf("dropped %s, which is neither the app's port nor the pending pod", a)
		}
	}
}

// lookPath finds a tool the CI script installs; a machine without it skips.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian package: see scripts/test)", name)
	}
	return p
}
