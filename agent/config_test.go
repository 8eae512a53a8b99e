package agent

import (
	"os"
	"strings"
	"testing"
)

func TestEmbeddedDefaultConfigLoads(t *testing.T) {
	a := New(Options{ListenAddress: ":9470"})
	cfg, err := a.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Probes) == 0 {
		t.Fatal("default config has no probes")
	}
	for _, p := range cfg.Probes {
		if !strings.HasPrefix(p.Target.Reveal(), "http://127.0.0.1:9470/") {
			t.Errorf("probe %s target %q does not point at the agent", p.Name, p.Target)
		}
	}
}

func TestCheckConfigCommand(t *testing.T) {
	var out, errb strings.Builder
	if code := Main([]string{"check-config", "config/testdata/valid-full.yml"}, &out, &errb); code != 0 {
		t.Fatalf("valid config: exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "OK, 2 probes") {
		t.Errorf("stdout %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"check-config", "config/testdata/invalid-many.yml"}, &out, &errb); code != 1 {
		t.Fatalf("invalid config: exit %d", code)
	}
	if n := strings.Count(errb.String(), "config/testdata/invalid-many.yml:"); n != 7 {
		t.Errorf("want all 7 problems reported, got %d:\n%s", n, errb.String())
	}
	if code := Main([]string{"check-config", "config/testdata/does-not-exist.yml"}, &out, &errb); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	if _, err := os.Stat("config/testdata/does-not-exist.yml"); err == nil {
		t.Fatal("fixture should not exist")
	}
}

// The example config is what users copy; it must stay valid, browser check
// included.
func TestExampleConfigIsValid(t *testing.T) {
	t.Setenv("SLOAGENT_EXAMPLE_API_KEY", "example")
	var out, errb strings.Builder
	if code := Main([]string{"check-config", "../configs/example.yml"}, &out, &errb); code != 0 {
		t.Fatalf("configs/example.yml: exit %d\n%s", code, errb.String())
	}
}
