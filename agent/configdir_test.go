package agent

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A directory is one config: a file added to it comes in at the next
// reload, next to the probes that keep running, and check-config and once
// take the directory and a glob as the daemon does.
func TestConfigDirectory(t *testing.T) {
	ok, _ := targets(t)
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("10-agent.yml", "agent: {name: dir-agent}\nprobes:\n  - {name: home, target: "+ok.URL+", interval: 1s, timeout: 500ms}\n")
	logs := &syncBuffer{}
	a := loadedAgent(t, Options{ConfigFile: dir, StateDir: filepath.Join(t.TempDir(), "state"), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ta := &testAgent{Agent: a, logs: logs}
	waitFor(t, "home to run", func() bool {
		v, found := ta.value(t, "probe_success", map[string]string{"probe": "home"})
		return found && v == 1
	})
	write("20-api.yml", "probes:\n  - {name: api, target: "+ok.URL+", interval: 1s, timeout: 500ms}\n")
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "api to run", func() bool {
		v, found := ta.value(t, "probe_success", map[string]string{"probe": "api"})
		return found && v == 1
	})
	if st, _ := a.probe("home"); st == nil || st.snapshot(time.Now()).Runs == 0 {
		t.Errorf("home lost its state over the reload")
	}

	// A duplicate in another file is refused with both places; the
	// running config stays.
	write("30-dup.yml", "probes:\n  - {name: home, target: "+ok.URL+"}\n")
	err := a.Reload()
	want := filepath.Join(dir, "30-dup.yml") + `:2: probes[0].name: duplicate probe name "home" (also probes[0] in ` + filepath.Join(dir, "10-agent.yml") + ":3)"
	if err == nil || err.Error() != want {
		t.Fatalf("reload: %v\nwant: %s", err, want)
	}
	if _, pr := a.probe("api"); pr == nil {
		t.Error("the running config was not kept")
	}
	var out, errb strings.Builder
	if code := Main([]string{"check-config", filepath.Join(dir, "[12]0-*.yml")}, &out, &errb); code != 0 || !strings.Contains(out.String(), "OK, 2 probes") {
		t.Errorf("check-config of a glob: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"check-config", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), want) {
		t.Errorf("check-config of the directory: exit %d\n%s%s", code, out.String(), errb.String())
	}
	os.Remove(filepath.Join(dir, "30-dup.yml"))
	out.Reset()
	errb.Reset()
	if code := Main([]string{"once", "--config.file", dir, "--storage.path", t.TempDir()}, &out, &errb); code != 0 || !strings.Contains(out.String(), "api") {
		t.Errorf("once of the directory: exit %d\n%s%s", code, out.String(), errb.String())
	}
}
