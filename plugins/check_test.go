package plugins

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
)

// checkFile is the part of an agent config Check is about.
type checkFile struct {
	Plugins []Config `yaml:"plugins"`
	Probes  []struct {
		Name   string      `yaml:"name"`
		Target string      `yaml:"target"`
		Plugin ProbeConfig `yaml:"plugin"`
	} `yaml:"probes"`
}

// oldPlugin is a Python plugin without Validate, as every plugin built
// before it: it is checked against the settings Describe lists.
const oldPlugin = `import sys
sys.path.insert(0, SDK)
from sloagent_plugin import Response, serve
serve(lambda req: Response(success=True), name="old", settings=[{"name": "want", "required": True}])
`

// check-config's view of plugins: what would only fail once the agent
// starts them or runs their probes is reported at the config line it is
// about.
func TestCheckReportsWhatStartingWould(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sdkDir, err := filepath.Abs("python")
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.py")
	if err := os.WriteFile(old, []byte("#!/usr/bin/python3\nSDK = "+`"`+sdkDir+`"`+"\n"+oldPlugin), 0o755); err != nil {
		t.Fatal(err)
	}
	py, err := filepath.Abs("python/http_status.py")
	if err != nil {
		t.Fatal(err)
	}
	yml := strings.NewReplacer("@TCP@", pluginPath(t, "tcp"), "@TESTPLUGIN@", pluginPath(t, "testplugin"),
		"@PY@", py, "@OLD@", old, "@NOCA@", filepath.Join(dir, "missing-ca.pem")).Replace(`plugins:
  - name: tcp
    command: @TCP@
  - name: badsum
    command: @TCP@
    sha256: 0000000000000000000000000000000000000000000000000000000000000000
  - name: py
    command: @PY@
    auto_mtls: false
  - name: old
    command: @OLD@
    auto_mtls: false
  - name: exits
    command: @TESTPLUGIN@
    env: {TESTPLUGIN_MODE: exit}
probes:
  - name: fine
    target: 127.0.0.1:6379
    plugin: {name: tcp, settings: {send: "PING\r\n", expect: "+PONG"}}
  - name: typo
    target: 127.0.0.1:6379
    plugin:
      name: tcp
      settings:
        colour: red
  - name: bad-values
    target: localhost
    plugin:
      name: tcp
      settings:
        expect_regexp: "("
        tls_ca_file: @NOCA@
  - name: wrong-type
    target: 127.0.0.1:6379
    plugin: {name: tcp, settings: {max_read_bytes: lots}}
  - name: python
    target: ftp://shop.test/
    plugin:
      name: py
      settings:
        valid_status_codes: [999]
  - name: older-plugin
    target: anything
    plugin:
      name: old
      settings:
        bogus: 1
  - name: not-started
    target: x
    plugin: {name: badsum}
`)
	var f checkFile
	doc, problems := conf.Decode("agent.yml", []byte(yml), &f, nil)
	if len(problems) > 0 {
		t.Fatalf("decoding: %v", problems)
	}
	r := conf.NewReport()
	for i := range f.Plugins {
		f.Plugins[i].Defaults()
		f.Plugins[i].Validate(r.Index("plugins", i))
	}
	if !r.Empty() {
		t.Fatalf("validation: %v", r.Problems())
	}
	var ps []CheckedProbe
	for i, p := range f.Probes {
		ps = append(ps, CheckedProbe{Name: p.Name, Target: p.Target, Section: &f.Probes[i].Plugin, Report: r.Index("probes", i)})
	}
	lb := &testutil.Buffer{}
	Check(context.Background(), f.Plugins, r.At("plugins"), ps, slog.New(slog.NewTextHandler(lb, nil)))

	got := doc.Err(doc.Locate(r.Problems())).Error()
	tcp := pluginPath(t, "tcp")
	want := strings.Join([]string{
		`agent.yml:6: plugins[1].sha256: ` + tcp + ` has sha256 ` + fileSHA256(tcp) + `, not the configured one: the agent would refuse to start it`,
		`agent.yml:14: plugins[4].command: plugin "exits" exited or closed stdout before the go-plugin handshake (is it a sloagent plugin? see its log lines above)`,
		`agent.yml:25: probes[1].plugin.settings.colour: plugin "tcp" has no setting "colour" (it has tls, tls_server_name, tls_ca_file, tls_insecure_skip_verify, send, expect, expect_regexp, max_read_bytes)`,
		`agent.yml:27: probes[2].target: plugin "tcp": "localhost" is not host:port: address localhost: missing port in address`,
		`agent.yml:31: probes[2].plugin.settings.expect_regexp: plugin "tcp": error parsing regexp: missing closing ): ` + "`(`",
		`agent.yml:32: probes[2].plugin.settings.tls_ca_file: plugin "tcp": open ` + filepath.Join(dir, "missing-ca.pem") + `: no such file or directory`,
		`agent.yml:35: probes[3].plugin.settings.max_read_bytes: plugin "tcp": must be of type int, not a JSON string`,
		`agent.yml:37: probes[4].target: plugin "py": 'ftp://shop.test/' is not an http:// or https:// URL`,
		`agent.yml:41: probes[4].plugin.settings.valid_status_codes: plugin "py": must be a list of status codes (100-599), got [999]`,
		`agent.yml:46: probes[5].plugin.settings: plugin "old" requires the setting "want"`,
		`agent.yml:47: probes[5].plugin.settings.bogus: plugin "old" has no setting "bogus" (it has want)`,
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s\nplugin log:\n%s", got, want, lb.String())
	}
}
