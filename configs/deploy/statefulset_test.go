package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/agent/schedule"
	"github.com/sloagent/sloagent/configs/internal/e2e"
	"github.com/sloagent/sloagent/internal/testutil"
)

// rendered is the part of kustomize's output the fleet's consistency rests
// on.
type rendered struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		// Service
		ClusterIP string         `yaml:"clusterIP"`
		Selector  map[string]any `yaml:"selector"` // a Service's labels; a StatefulSet's matchLabels
		Ports     []struct {
			Name       string `yaml:"name"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		// StatefulSet
		ServiceName string `yaml:"serviceName"`
		Replicas    int    `yaml:"replicas"`
		Template    struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct{ Name string } `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

// renderFleet builds configs/deploy/kubernetes with the kustomize pinned in
// tools/go.mod, checks every object against the Kubernetes API types, and
// returns the objects by kind.
func renderFleet(t *testing.T, dir string) map[string]rendered {
	t.Helper()
	out := e2e.Tool(t, nil, "kustomize", "build", dir)
	lint := e2e.Tool(t, bytes.NewReader(out), "k8slint")
	t.Logf("k8slint:\n%s", lint)
	objs := map[string]rendered{}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o rendered
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := objs[o.Kind]; dup {
			t.Fatalf("two objects of kind %s", o.Kind)
		}
		objs[o.Kind] = o
	}
	return objs
}

// The StatefulSet, its headless Service, the generated ConfigMap and the
// scrape config agree with each other and with the image, and the config
// loads as the pods will load it.
func TestKubernetesFleetIsConsistent(t *testing.T) {
	objs := renderFleet(t, abs(t, "kubernetes"))
	sts, svc, cm := objs["StatefulSet"], objs["Service"], objs["ConfigMap"]
	if sts.Kind == "" || svc.Kind == "" || cm.Kind == "" {
		t.Fatalf("want a StatefulSet, a Service and a ConfigMap; got %v", slices.Collect(maps.Keys(objs)))
	}
	if svc.Spec.ClusterIP != "None" || sts.Spec.ServiceName != svc.Metadata.Name {
		t.Errorf("the StatefulSet's serviceName %q is not the headless Service %q (clusterIP %q)",
			sts.Spec.ServiceName, svc.Metadata.Name, svc.Spec.ClusterIP)
	}
	podLabels := sts.Spec.Template.Metadata.Labels
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != fmt.Sprint(v) {
			t.Errorf("the Service selects %s=%s, which the pods (%v) lack", k, v, podLabels)
		}
	}
	c := agentContainer(t, sts)
	env := podEnv(t, sts, "sloagent-1", "monitoring")
	if got := env[schedule.EnvShards]; got != fmt.Sprint(sts.Spec.Replicas) {
		t.Errorf("%s=%q, but the StatefulSet has %d replicas", schedule.EnvShards, got, sts.Spec.Replicas)
	}
	if flagValue(c.Args, "shard") != "auto" {
		t.Errorf("the agents run without --shard=auto: %v", c.Args)
	}
	if svc.Spec.Ports[0].TargetPort != c.Ports[0].Name || !scrapeKeepRegexp(t).MatchString(c.Ports[0].Name) {
		t.Errorf("the agent's port %q is not the Service's target port %q, or not kept by prometheus-scrape.yml",
			c.Ports[0].Name, svc.Spec.Ports[0].TargetPort)
	}

	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	var configMount string
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name {
			configMount = mounts[v.Name]
		}
	}
	key, ok := strings.CutPrefix(flagValue(c.Args, "config.file"), configMount+"/")
	if configMount == "" || !ok || cm.Data[key] == "" {
		t.Fatalf("--config.file=%s is not a key of the generated ConfigMap %s", flagValue(c.Args, "config.file"), cm.Metadata.Name)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || mounts[sts.Spec.VolumeClaimTemplates[0].Metadata.Name] != flagValue(c.Args, "storage.path") {
		t.Errorf("--storage.path=%s is not the volume claimed for each pod", flagValue(c.Args, "storage.path"))
	}
	cfg, err := config.Parse(key, []byte(cm.Data[key]), lookup(env))
	if err != nil {
		t.Fatalf("the ConfigMap's agent config does not load:\n%v", err)
	}
	if cfg.Agent.Name != "sloagent-1" || cfg.Agent.StateDir != flagValue(c.Args, "storage.path") {
		t.Errorf("agent.name %q and state_dir %q; want the pod's name and the state volume", cfg.Agent.Name, cfg.Agent.StateDir)
	}
	uid := imageUID(t)
	pod := sts.Spec.Template.Spec
	if !pod.SecurityContext.RunAsNonRoot || c.SecurityContext.RunAsUser != uid || pod.SecurityContext.FSGroup != uid {
		t.Errorf("the agents should run as the image's uid %d with fsGroup %d", uid, uid)
	}
}

// Agents started as the StatefulSet starts them (its args and env, under
// the pods' names) split the probes so that each runs on exactly one, and
// Prometheus, with the scrape config, sees them all. Scaled from 3 to 4
// agents, only the probes the new agent takes move.
func TestKubernetesFleetShardsProbes(t *testing.T) {
	testutil.LookPath(t, "prometheus", "prometheus")
	objs := renderFleet(t, abs(t, "kubernetes"))
	sts, cm := objs["StatefulSet"], objs["ConfigMap"]
	c := agentContainer(t, sts)

	target := &hits{seen: map[string]bool{}}
	srv := httptestServer(t, target)

	// The ConfigMap's agent section with probes on loopback in place of
	// its own, which reach outside.
	key := strings.TrimPrefix(flagValue(c.Args, "config.file"), "/etc/sloagent/")
	agentSection, _, _ := strings.Cut(cm.Data[key], "\nprobes:")
	var probes strings.Builder
	const nprobes = 40
	for i := range nprobes {
		fmt.Fprintf(&probes, "  - {name: svc-%02d, target: '%s/svc-%02d', interval: 300ms, timeout: 250ms, labels: {tier: web}}\n", i, srv, i)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "agent.yml")
	agentConfig := agentSection + "\nprobes:\n" + probes.String() + "slos:\n  - {name: fleet, probe_selector: {tier: web}, objective: 99}\n"
	if err := os.WriteFile(cfgFile, []byte(strings.Replace(agentConfig, "state_dir: /var/lib/sloagent", "state_dir: data", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	run := func(n int) (map[string]string, []*e2e.Process) {
		var agents []*e2e.Process
		owner := map[string]string{}
		for i := range n {
			pod := fmt.Sprintf("sloagent-%d", i)
			env := podEnv(t, sts, pod, "monitoring")
			env[schedule.EnvShards] = fmt.Sprint(n) // as the replacement sets it
			var args []string
			for _, a := range c.Args {
				switch {
				case strings.HasPrefix(a, "--config.file="):
					a = "--config.file=" + cfgFile
				case strings.HasPrefix(a, "--storage.path="):
					a = "--storage.path=" + filepath.Join(dir, pod)
				case strings.HasPrefix(a, "--web.listen-address="):
					a = "--web.listen-address=127.0.0.1:0"
				}
				args = append(args, a)
			}
			agents = append(agents, e2e.StartAgent(t, envList(env), args...))
		}
		// A probe's series appear with its first run, within an interval.
		testutil.WaitFor(t, "every probe's first run", func() bool {
			runs := 0
			for _, a := range agents {
				for _, line := range e2e.Scrape(t, a.Addr) {
					if strings.HasPrefix(line, "probe_runs_total{") {
						runs++
					}
				}
			}
			return runs >= nprobes
		})
		for i, a := range agents {
			pod := fmt.Sprintf("sloagent-%d", i)
			for _, line := range e2e.Scrape(t, a.Addr) {
				if !strings.HasPrefix(line, "probe_runs_total{") {
					continue
				}
				name := regexp.MustCompile(`probe="([^"]+)"`).FindStringSubmatch(line)[1]
				if !strings.Contains(line, `agent="`+pod+`"`) {
					t.Errorf("%s exports %s", pod, line)
				}
				if other, dup := owner[name]; dup {
					t.Errorf("probe %s runs on %s and %s", name, other, pod)
				}
				owner[name] = pod
			}
			want := fmt.Sprintf(`sloagent_shard_info{agent="%s",location="eu-west-1",namespace="monitoring",shard="%d",shards="%d"} 1`, pod, i, n)
			if !slices.Contains(e2e.Scrape(t, a.Addr), want) {
				t.Errorf("%s does not export %s", pod, want)
			}
		}
		if len(owner) != nprobes {
			t.Errorf("%d agents run %d of %d probes", n, len(owner), nprobes)
		}
		return owner, agents
	}

	before, agents := run(3)
	// Prometheus finds the pods through the scrape config and sees every
	// probe once, each from its own agent.
	var pods []pod
	for i, a := range agents {
		pods = append(pods, pod{a.Addr, "sloagent", "Running", fmt.Sprintf("sloagent-%d", i)})
	}
	prom := testutil.StartPrometheus(t, string(loadLoopbackConfig(t, pods, testutil.FreeAddr(t))), nil)
	testutil.WaitFor(t, "every probe in Prometheus", func() bool {
		return len(prom.Query(t, `probe_runs_total{job="sloagent"}`)) == nprobes
	})
	for _, s := range prom.Query(t, `probe_runs_total{job="sloagent"}`) {
		if s.Labels["pod"] != s.Labels["agent"] || s.Labels["agent"] != before[s.Labels["probe"]] {
			t.Errorf("probe %s from pod %s, agent %s; want %s", s.Labels["probe"], s.Labels["pod"], s.Labels["agent"], before[s.Labels["probe"]])
		}
	}
	target.wait(t, before)

	// A scale from 3 to 4 replaces every pod (the number of shards is in
	// the pod template); the state volumes stay.
	for _, a := range agents {
		a.Stop()
	}
	after, _ := run(4)
	target.reset()
	target.wait(t, after)
	moved := 0
	for name, pod := range after {
		if before[name] == pod {
			continue
		}
		moved++
		if pod != "sloagent-3" {
			t.Errorf("probe %s moved from %s to %s, not to the new agent", name, before[name], pod)
		}
	}
	t.Logf("3 -> 4 agents moved %d of %d probes, all to sloagent-3", moved, nprobes)
	if moved == 0 {
		t.Error("the new agent took no probe")
	}
}

// hits records the paths requested of the probes' target.
type hits struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (h *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[r.URL.Path] = true
}

func (h *hits) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.seen)
}

// wait waits until every probe's own path has been requested.
func (h *hits) wait(t *testing.T, owner map[string]string) {
	t.Helper()
	testutil.WaitFor(t, "every probe's target to be reached", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for name := range owner {
			if !h.seen["/"+name] {
				return false
			}
		}
		return true
	})
}

func httptestServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func abs(t *testing.T, dir string) string {
	a, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func agentContainer(t *testing.T, sts rendered) container {
	t.Helper()
	for _, c := range sts.Spec.Template.Spec.Containers {
		if c.Name == "sloagent" {
			return c
		}
	}
	t.Fatal("the StatefulSet has no sloagent container")
	return container{}
}

// podEnv is the environment the sloagent container of pod gets: values as
// written, and the pod's own fields where they come from the Downward API.
func podEnv(t *testing.T, sts rendered, pod, namespace string) map[string]string {
	t.Helper()
	fields := map[string]string{"metadata.name": pod, "metadata.namespace": namespace}
	env := map[string]string{}
	for _, c := range sts.Spec.Template.Spec.Containers {
		if c.Name != "sloagent" {
			continue
		}
		for _, e := range c.Env {
			env[e.Name] = e.Value
			if e.ValueFrom != nil {
				path := fmt.Sprint(e.ValueFrom.(map[string]any)["fieldRef"].(map[string]any)["fieldPath"])
				v, ok := fields[path]
				if !ok {
					t.Fatalf("env %s comes from %s, which this test does not fill in", e.Name, path)
				}
				env[e.Name] = v
			}
		}
	}
	return env
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func envList(env map[string]string) []string {
	var l []string
	for k, v := range env {
		l = append(l, k+"="+v)
	}
	return l
}
