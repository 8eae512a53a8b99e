package agent

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/agent/config"
)

// slo import writes a slos: list that an agent config takes as it is, and
// slo export of a config imports back to the same SLOs.
func TestSLOImportAndExportCommands(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	code := Main([]string{"slo", "import", "../slo/formats/testdata/openslo-shop.yaml", "../slo/formats/testdata/sloth-api.yaml"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, stderr.String())
	}
	if n := strings.Count(stderr.String(), "warning: "); n != 22 {
		t.Errorf("%d warnings, want 22:\n%s", n, stderr.String())
	}
	yml := `probes:
  - {name: shop-home, target: "http://127.0.0.1:1/", labels: {service: shop}}
  - {name: search, target: "http://127.0.0.1:1/search", labels: {sli: search-latency}}
  - {name: api, target: "http://127.0.0.1:1/api", labels: {service: api}}
` + stdout.String()
	cfgFile := filepath.Join(dir, "agent.yml")
	if err := os.WriteFile(cfgFile, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(cfgFile, nil)
	if err != nil {
		t.Fatalf("the imported SLOs do not load:\n%v\n%s", err, yml)
	}
	if len(cfg.SLOs) != 4 {
		t.Fatalf("%d SLOs", len(cfg.SLOs))
	}

	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"slo", "export", "--config.file=" + cfgFile}, &stdout, &stderr); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr.String())
	}
	exported := filepath.Join(dir, "openslo.yaml")
	if err := os.WriteFile(exported, []byte(stdout.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	out := filepath.Join(dir, "slos.yml")
	if code := Main([]string{"slo", "import", "--output=" + out, exported}, &stdout, &stderr); code != exitOK || stderr.Len() > 0 {
		t.Fatalf("import of the export: exit %d\n%s", code, stderr.String())
	}
	data, _ := os.ReadFile(out)
	again, err := config.Parse("again.yml", []byte(strings.Split(yml, "slos:")[0]+string(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.SLOs, cfg.SLOs) {
		t.Errorf("export and import changed the SLOs:\n got %+v\nwant %+v", again.SLOs, cfg.SLOs)
	}

	stderr.Reset()
	if code := Main([]string{"slo", "export", "--format=sloth", "--config.file=" + cfgFile}, &stdout, &stderr); code != exitUsage ||
		stderr.String() != "sloagent slo export: --format: \"sloth\" is not openslo\n" {
		t.Errorf("an unknown format: exit %d, %q", code, stderr.String())
	}
}
