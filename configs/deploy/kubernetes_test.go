package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/agent/config"
)

// The parts of the Kubernetes objects the example's consistency rests on.
type object struct {
	Kind     string                `yaml:"kind"`
	Metadata struct{ Name string } `yaml:"metadata"`
	Data     map[string]string     `yaml:"data"`
	Spec     struct {
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// podSpec is the part of a pod template the tests read.
type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		FSGroup      int  `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		EmptyDir              *struct{} `yaml:"emptyDir"`
		PersistentVolumeClaim *struct{} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom any    `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *httpProbe `yaml:"livenessProbe"`
	ReadinessProbe *httpProbe `yaml:"readinessProbe"`
	Resources      struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		RunAsUser                int   `yaml:"runAsUser"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type httpProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

func loadObjects(t *testing.T, path string) map[string]object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]object{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		objs[o.Kind] = o
	}
	return objs
}

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

func TestKubernetesSidecarIsConsistent(t *testing.T) {
	objs := loadObjects(t, "kubernetes-sidecar.yaml")
	cm, dep := objs["ConfigMap"], objs["Deployment"]
	pod := dep.Spec.Template.Spec
	var agentC *container
	appPorts := map[string]bool{}
	for i, c := range pod.Containers {
		if c.Name == "sloagent" {
			agentC = &pod.Containers[i]
			continue
		}
		for _, p := range c.Ports {
			appPorts[strconv.Itoa(p.ContainerPort)] = true
		}
	}
	if agentC == nil || len(appPorts) == 0 {
		t.Fatalf("want an app container with ports and a sloagent sidecar, got %+v", pod.Containers)
	}

	mounts := map[string]string{}
	for _, m := range agentC.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	var configMount, stateMount string
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name:
			configMount = mounts[v.Name]
		case v.Name == "sloagent-state" && (v.EmptyDir != nil || v.PersistentVolumeClaim != nil):
			stateMount = mounts[v.Name]
		}
	}
	cfgFile := flagValue(agentC.Args, "config.file")
	key, ok := strings.CutPrefix(cfgFile, configMount+"/")
	if configMount == "" || !ok || cm.Data[key] == "" {
		t.Fatalf("--config.file=%s is not a key of ConfigMap %s mounted at %q", cfgFile, cm.Metadata.Name, configMount)
	}
	if got := flagValue(agentC.Args, "storage.path"); stateMount == "" || got != stateMount {
		t.Errorf("--storage.path=%s, but the state volume is mounted at %q", got, stateMount)
	}

	// The config must load exactly as the agent will load it in the pod,
	// with the env the container sets.
	env := map[string]string{}
	for _, e := range agentC.Env {
		env[e.Name] = e.Value
		if e.ValueFrom != nil {
			env[e.Name] = "checkout-7d9f-" + strings.ToLower(e.Name)
		}
	}
	cfg, err := config.Parse(key, []byte(cm.Data[key]), func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("the ConfigMap's agent config does not load:\n%v", err)
	}
	if cfg.Agent.Name != env["POD_NAME"] {
		t.Errorf("agent.name = %q, want the pod name so every pod's series differ", cfg.Agent.Name)
	}
	if cfg.Agent.StateDir != stateMount {
		t.Errorf("agent.state_dir = %q, want the state volume %q", cfg.Agent.StateDir, stateMount)
	}
	if len(cfg.Probes) == 0 || len(cfg.SLOs) == 0 {
		t.Errorf("the example has %d probes and %d SLOs; want some of each", len(cfg.Probes), len(cfg.SLOs))
	}
	for _, p := range cfg.Probes {
		u, err := url.Parse(p.Target.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		if u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" || !appPorts[u.Port()] {
			t.Errorf("probe %s targets %s, not an app container port %v on localhost", p.Name, p.Target, appPorts)
		}
	}

	// Health checks go to the agent's own port, the one the scrape config
	// keeps, on the address it listens on.
	var agentPort string
	for _, p := range agentC.Ports {
		agentPort = p.Name
		if _, port, _ := net.SplitHostPort(flagValue(agentC.Args, "web.listen-address")); port != strconv.Itoa(p.ContainerPort) {
			t.Errorf("containerPort %d is not the --web.listen-address port %s", p.ContainerPort, port)
		}
	}
	for probe, want := range map[string]string{"liveness": "/-/healthy", "readiness": "/-/ready"} {
		pr := agentC.LivenessProbe
		if probe == "readiness" {
			pr = agentC.ReadinessProbe
		}
		if pr == nil || pr.HTTPGet.Path != want || pr.HTTPGet.Port != agentPort {
			t.Errorf("%s probe %+v, want GET %s on port %s", probe, pr, want, agentPort)
		}
	}
	if keep := scrapeKeepRegexp(t); !keep.MatchString(agentPort) {
		t.Errorf("prometheus-scrape.yml keeps ports matching %s, not the agent's port %q", keep, agentPort)
	}

	if agentC.Resources.Limits["cpu"] == "" || agentC.Resources.Limits["memory"] == "" {
		t.Errorf("the sidecar has no cpu and memory limits: %v", agentC.Resources.Limits)
	}
	uid := imageUID(t)
	if !pod.SecurityContext.RunAsNonRoot || agentC.SecurityContext.RunAsUser != uid || pod.SecurityContext.FSGroup != uid {
		t.Errorf("pod should run the sidecar as the image's uid %d with fsGroup %d; got %+v, %+v",
			uid, uid, pod.SecurityContext, agentC.SecurityContext)
	}
	if ape := agentC.SecurityContext.AllowPrivilegeEscalation; ape == nil || *ape {
		t.Error("the sidecar allows privilege escalation")
	}
}

// imageUID is the uid the Dockerfile gives the sloagent user.
func imageUID(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`useradd .*--uid (\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("the Dockerfile creates no user with a fixed uid")
	}
	uid, _ := strconv.Atoi(string(m[1]))
	return uid
}

// scrapeKeepRegexp is the port-name filter of the sloagent job.
func scrapeKeepRegexp(t *testing.T) *regexp.Regexp {
	t.Helper()
	cfg := loadScrapeConfig(t)
	for _, job := range cfg.ScrapeConfigs {
		if job.JobName != "sloagent" {
			continue
		}
		for _, r := range job.RelabelConfigs {
			if r.Action == "keep" && slices.Equal(r.SourceLabels, []string{"__meta_kubernetes_pod_container_port_name"}) {
				return regexp.MustCompile("^(?:" + r.Regex + ")$")
			}
		}
	}
	t.Fatal("prometheus-scrape.yml has no sloagent job keeping a port name")
	return nil
}
