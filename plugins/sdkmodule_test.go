package plugins

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/sloagent/sloagent/probes"
)

// sdkModule is the Go SDK's module path; sdkTestVersion the version the
// test publishes it under in its own module proxy.
const (
	sdkModule      = "github.com/sloagent/sloagent/plugins/sdk"
	sdkTestVersion = "v0.1.0"
)

// outsidePlugin is a plugin written in a module of its own, as a user
// outside this repository would.
const outsidePlugin = `package main

import (
	"context"

	"github.com/sloagent/sloagent/plugins/sdk"
)

type check struct{}

func (check) Describe() sdk.Info {
	return sdk.Info{Name: "outside", Version: "0.0.1", Settings: []sdk.Setting{{Name: "want", Required: true}}}
}

func (check) Probe(ctx context.Context, req sdk.Request) sdk.Response {
	var s struct {
		Want string ` + "`json:\"want\"`" + `
	}
	if err := req.Decode(&s); err != nil {
		return sdk.Fail(sdk.ReasonConfig, "bad settings: %v", err)
	}
	if req.Target != s.Want {
		return sdk.Fail(sdk.ReasonStatusCode, "got %s, want %s", req.Target, s.Want)
	}
	req.Log.Info("matched", "target", req.Target)
	return sdk.OK("%s as wanted", req.Target)
}

func main() { sdk.Serve(check{}) }
`

// The recipe of plugins/README.md: a plugin in its own module gets the SDK
// with go get, with no replace directive and no go.sum copied from here.
// The SDK is served from a module proxy the test makes (the public one
// does not know this copy), the rest from the module cache.
func TestSDKModuleWorksOutsideTheRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin in a module of its own")
	}
	t.Parallel()
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	publishSDK(t, proxy)

	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(tmp, "myplugin")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(outsidePlugin), 0o644); err != nil {
		t.Fatal(err)
	}
	// The module cache holds what this repository's builds needed; a
	// plugin's go get walks the SDK's whole module graph and can need a
	// go.mod file no build here read (on a fresh machine, those of older
	// versions that unpruned modules such as fatih/color require), which
	// comes from the proxy this machine's go uses.
	proxies := "file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download"))
	upstream, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	if u := strings.TrimSpace(string(upstream)); u != "" && u != "off" {
		proxies += "," + u
	}
	env := append(os.Environ(),
		"GOPROXY="+proxies,
		// A module cache of its own, so that this copy of the SDK is never
		// mistaken for a published one; writable, so TempDir can remove it.
		"GOMODCACHE="+filepath.Join(tmp, "modcache"), "GOFLAGS=-mod=mod -modcacherw",
		// The checksum database is not reachable from tests; users verify
		// against it as usual.
		"GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0",
	)
	gocmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = src, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	gocmd("mod", "init", "example.com/myplugin")
	gocmd("get", sdkModule+"@"+sdkTestVersion)
	gocmd("build", "-trimpath", "-o", "myplugin", ".") // -trimpath: build cache hits whatever the temporary paths

	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gomod), sdkModule+" "+sdkTestVersion) || strings.Contains(string(gomod), "replace") ||
		strings.Contains(string(gomod), "github.com/sloagent/sloagent ") {
		t.Errorf("the plugin's go.mod should require the SDK alone, without replace:\n%s", gomod)
	}

	s, lb := supervise(t, Config{Name: "outside", Command: filepath.Join(src, "myplugin")})
	r := run(t, s, "ok", &ProbeConfig{Name: "outside", Settings: map[string]any{"want": "ok"}}, 10*time.Second)
	if !r.Success || r.Message != "ok as wanted" {
		t.Fatalf("passing run: %+v", r)
	}
	r = run(t, s, "nope", &ProbeConfig{Name: "outside", Settings: map[string]any{"want": "ok"}}, 5*time.Second)
	if r.Success || r.Reason != probes.ReasonStatusCode {
		t.Errorf("failing run: %+v, want reason status_code", r)
	}
	if st := s.Status()[0]; st.Version != "0.0.1" {
		t.Errorf("status %+v", st)
	}
	// The plugin's stderr reaches the log on its own pipe, after the
	// answer; wait for it, within bounds.
	for end := time.Now().Add(10 * time.Second); !strings.Contains(lb.String(), "msg=matched"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the plugin's log line did not reach the agent's log:\n%s", lb.String())
		}
	}
}

// publishSDK lays out plugins/sdk as sdkTestVersion in a file-based module
// proxy (GOPROXY=file://DIR).
func publishSDK(t *testing.T, proxy string) {
	t.Helper()
	mv := module.Version{Path: sdkModule, Version: sdkTestVersion}
	dir := filepath.Join(proxy, filepath.FromSlash(sdkModule), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join("sdk", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]any{"Version": sdkTestVersion, "Time": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	for name, data := range map[string][]byte{
		"list": []byte(sdkTestVersion + "\n"), sdkTestVersion + ".info": info, sdkTestVersion + ".mod": gomod,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(dir, sdkTestVersion+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := modzip.CreateFromDir(f, mv, "sdk"); err != nil {
		t.Fatalf("zipping the SDK: %v", err)
	}
}
