// Package readme_test runs what the repository's README shows: every
// command of its code blocks, with local stand-ins for the hosts it names,
// and every shipped config through check-config. A command the test cannot
// run must be in skipped, with the reason; any other new command runs, so
// the README cannot drift from what the agent does.
package readme_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/testutil"
)

// skipped are the README's commands that a test cannot run, by prefix,
// with the reason and where they are tested instead.
var skipped = []struct{ prefix, reason string }{
	{"./scripts/test", "the whole suite, which runs this test"},
	{"sloagent [flags]", "the command line's synopsis, not a command"},
	{"docker ", "needs a container engine and base images; scripts/image-test builds and runs the image with podman"},
	{"go build -o /usr/local/bin/", "installs into the system; the systemd unit is verified by configs/deploy"},
	{"install ", "installs into the system; the systemd unit is verified by configs/deploy"},
	{"systemctl ", "needs systemd; configs/deploy/systemd_test.go verifies the unit"},
	{"sloagent.exe ", "Windows; scripts/windows-test runs the service under wine"},
	{"prometheus ", "a Prometheus server; agent/once_test.go pushes to a real one and checks the rules"},
	{"bench/run", "the benchmark harness: minutes of load, run by hand, never in the test suite"},
	{"git worktree add ", "builds an earlier release as bench/run's baseline"},
	{"echo v1.2.0 > /tmp/base-bin/", "names bench/run's baseline"},
	{"kubectl ", "needs a cluster; configs/deploy renders the kustomize base and checks every object against the Kubernetes API types"},
	{"scripts/release", "builds every release artifact; scripts/image-test runs it and installs the .deb, packaging tests check the package's files"},
	{"apt install ", "installs into the system; scripts/image-test installs the .deb in a Debian base"},
}

// An entry of skipped that matches no command any more must go.
func TestSkipListIsCurrent(t *testing.T) {
	for _, s := range skipped {
		found := false
		for _, c := range readmeCommands(t) {
			found = found || strings.HasPrefix(c.line, s.prefix)
		}
		if !found {
			t.Errorf("skip list entry %q matches no command of the README; remove it", s.prefix)
		}
	}
}

// command is one command of a code block, with the output the README
// shows for it (transcripts with "$ ").
type command struct {
	line   string
	output []string
	code   int // the exit code the transcript shows ("$ echo $?"); -1 if none
	block  int // the line of the block in README.md
}

func readmeCommands(t *testing.T) []command {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []command
	var block []string
	inBlock, shell, start := false, false, 0
	for i, line := range strings.Split(string(data), "\n") {
		if fence, ok := strings.CutPrefix(line, "```"); ok {
			if inBlock {
				switch {
				case shell && len(block) > 0 && strings.HasPrefix(block[0], "sloagent [flags]"):
					// The synopsis: one entry, for the skip list.
					out = append(out, command{line: block[0], code: -1, block: start})
				case shell:
					out = append(out, blockCommands(block, start)...)
				}
				inBlock, block = false, nil
				continue
			}
			inBlock, start = true, i+1
			lang := strings.TrimSpace(fence)
			shell = lang == "" || lang == "sh" || lang == "console" || lang == "powershell"
			continue
		}
		if inBlock {
			block = append(block, line)
		}
	}
	return out
}

var trailingComment = regexp.MustCompile(`\s{2,}#.*$`)

// blockCommands splits a block into commands: in a transcript the "$ "
// lines, each with the output below it; otherwise every line, with "\"
// continuations joined and comments dropped.
func blockCommands(lines []string, start int) []command {
	var out []command
	transcript := false
	for _, l := range lines {
		transcript = transcript || strings.HasPrefix(l, "$ ")
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if transcript {
			if l == "$ echo $?" && len(out) > 0 && i+1 < len(lines) {
				fmt.Sscan(lines[i+1], &out[len(out)-1].code)
				i++
				continue
			}
			if c, ok := strings.CutPrefix(l, "$ "); ok {
				out = append(out, command{line: c, code: -1, block: start})
			} else if len(out) > 0 {
				out[len(out)-1].output = append(out[len(out)-1].output, l)
			}
			continue
		}
		for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, `\`) + " " + strings.TrimSpace(lines[i])
		}
		l = strings.TrimSpace(trailingComment.ReplaceAllString(l, ""))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, command{line: l, code: -1, block: start})
	}
	return out
}

func TestReadmeCommands(t *testing.T) {
	bin := buildAgent(t)
	env := newStandIns(t)
	for _, c := range readmeCommands(t) {
		t.Run(fmt.Sprintf("README.md:%d %s", c.block, c.line), func(t *testing.T) {
			for _, s := range skipped {
				if strings.HasPrefix(c.line, s.prefix) {
					t.Skip(s.reason)
				}
			}
			args := strings.Fields(c.line)
			switch {
			case len(args) >= 2 && args[0] == "go" && args[1] == "run" && args[2] == ".":
				args = args[3:] // the same binary, built once
			case args[0] == "sloagent":
				args = args[1:]
			default:
				t.Fatalf("README.md:%d: %q is neither run by this test nor in its skip list (with the reason it cannot run)", c.block, c.line)
			}
			env.run(t, bin, args, c)
		})
	}
}

// buildAgent builds the agent once for the test.
func buildAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sloagent")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/sloagent/sloagent")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the agent: %v\n%s", err, out)
	}
	return bin
}

// standIns is a directory with the files the README's commands name and
// local servers for the hosts they name.
type standIns struct {
	dir, root string
	hosts     map[string]string // host:port in the README -> stand-in
}

func newStandIns(t *testing.T) *standIns {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// A remote-write receiver that accepts what it is sent.
	rw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rw.Close)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(up.Close)
	refused := testutil.FreeAddr(t)
	s := &standIns{dir: t.TempDir(), root: root, hosts: map[string]string{
		"prometheus:9090": rw.Listener.Addr().String(), "127.0.0.1:9090": rw.Listener.Addr().String(),
	}}
	// probes.yml: the README's transcript shows home passing and checkout
	// refused.
	s.write(t, "probes.yml", fmt.Sprintf(`probes:
  - {name: home, target: %s/, interval: 10s, timeout: 2s}
  - {name: checkout, target: http://%s/, interval: 10s, timeout: 2s}
slos:
  - {name: shop, probes: [home, checkout], objective: 99.9, window: {rolling: 30d}}
`, up.URL, refused))
	// bad.yml: the problems of the README's check-config transcript.
	s.write(t, "bad.yml", `probes:
  - name: home
    target: http://127.0.0.1:8080/
    interval: 10s
    # not a duration:
    timeout: 2x
  - name: home
    target: http://127.0.0.1:8081/
    interval: 1s
    timeout: 2s
  - name: api
    colour: red
    target: http://127.0.0.1:8082/
`)
	// The SLO formats section: an OpenSLO file and a sloth spec to import,
	// and an agent config with SLOs to export.
	for name, from := range map[string]string{
		"slos.openslo.yaml": "slo/formats/testdata/openslo-shop.yaml",
		"sloth-service.yml": "slo/formats/testdata/sloth-api.yaml",
	} {
		data, err := os.ReadFile(filepath.Join(root, from))
		if err != nil {
			t.Fatal(err)
		}
		s.write(t, name, string(data))
	}
	s.write(t, "agent.yml", fmt.Sprintf(`probes:
  - {name: home, target: %s/, interval: 10s, timeout: 2s, labels: {service: shop}}
slos:
  - name: shop
    probe_selector: {service: shop}
    objective: 99.9
    window: {rolling: 28d}
    latency_threshold: 300ms
`, up.URL))
	return s
}

func (s *standIns) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs the agent with args as the README shows them: hosts replaced
// by their stand-ins, repository paths made absolute, "> file" honoured.
func (s *standIns) run(t *testing.T, bin string, args []string, c command) {
	var redirect string
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == ">" && i+1 < len(args) {
			redirect = args[i+1]
			i++
			continue
		}
		for host, local := range s.hosts {
			a = strings.ReplaceAll(a, "://"+host, "://"+local)
		}
		if local, ok := installed[a]; ok {
			a = filepath.Join(s.root, local)
		}
		if name, value, ok := strings.Cut(a, "="); ok && strings.HasPrefix(name, "--") {
			a = name + "=" + s.repoPath(value)
		} else {
			a = s.repoPath(a)
		}
		out = append(out, a)
	}
	args = out
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		s.daemon(t, bin, args)
		return
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if redirect != "" {
		if err := os.WriteFile(filepath.Join(s.dir, redirect), stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if c.output != nil {
		s.compare(t, c, stdout.String()+stderr.String(), code)
		return
	}
	// Without shown output: it must work, or at worst find failing
	// probes (exit 1 of once); usage and config errors are drift.
	if code != 0 && !(args[0] == "once" && code == 1) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}

// installed are the files a package installs, by the repository's file
// they come from.
var installed = map[string]string{
	"/etc/sloagent/agent.yml": "configs/package.yml",
}

// repoPath makes a path of the repository (configs/example.yml) absolute,
// since the commands run in the stand-ins' directory.
func (s *standIns) repoPath(a string) string {
	if strings.Contains(a, "/") && !strings.Contains(a, "://") && !filepath.IsAbs(a) {
		if _, err := os.Stat(filepath.Join(s.root, a)); err == nil {
			return filepath.Join(s.root, a)
		}
	}
	return a
}

// varying are what differs between the README's run and the stand-ins':
// durations and addresses.
var varying = regexp.MustCompile(`\d+(\.\d+)?(ms|µs|s)\b|\d+\.\d+\.\d+\.\d+(:\d+)?`)

// compare checks a transcript: the exit code the README shows after it
// ("$ echo $?"), check-config's lines exactly, and once's table by probe,
// result and reason (addresses and durations are the stand-ins').
func (s *standIns) compare(t *testing.T, c command, got string, code int) {
	want := c.output
	for len(want) > 0 && want[len(want)-1] == "" {
		want = want[:len(want)-1]
	}
	if c.code >= 0 && code != c.code {
		t.Errorf("exit %d; the README shows %d", code, c.code)
	}
	gotLines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if strings.HasPrefix(c.line, "sloagent check-config") {
		if strings.Join(gotLines, "\n") != strings.Join(want, "\n") {
			t.Errorf("output:\n%s\nthe README shows:\n%s", got, strings.Join(want, "\n"))
		}
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		return
	}
	if len(gotLines) < len(want) {
		t.Fatalf("output:\n%s\nthe README shows:\n%s", got, strings.Join(want, "\n"))
	}
	for i, w := range want {
		g := gotLines[i]
		wf, gf := strings.Fields(w), strings.Fields(g)
		if len(wf) > 2 && (wf[1] == "ok" || wf[1] == "FAIL") {
			// A row: probe, result and, for a failure, the reason.
			n := 3
			if wf[1] == "ok" {
				n = 2
			}
			if len(gf) < n || strings.Join(gf[:n], " ") != strings.Join(wf[:n], " ") {
				t.Errorf("row %q, the README shows %q", g, w)
			}
			continue
		}
		if varying.ReplaceAllString(g, "N") != varying.ReplaceAllString(w, "N") {
			t.Errorf("line %q, the README shows %q", g, w)
		}
	}
}

var started = regexp.MustCompile(`msg="sloagent started".* address=(\S+)`)

// daemon starts the agent as the README does, on a port of its own, waits
// until it is healthy and ready, and stops it with SIGTERM: it must exit 0.
func (s *standIns) daemon(t *testing.T, bin string, args []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	state := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, append(args, "--web.listen-address=127.0.0.1:0", "--storage.path="+state)...)
	cmd.Dir = s.dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	a, ok := <-addr
	if !ok {
		_ = cmd.Wait()
		t.Fatalf("the agent did not start:\n%s", logs.String())
	}
	for _, path := range []string{"/-/healthy", "/-/ready", "/metrics", "/config"} {
		resp, err := http.Get("http://" + a + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", path, resp.Status)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	for range addr {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the agent did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
	}
}

// Every shipped config checks: the files under configs/ and the agent
// config inside the Kubernetes example (with the variables its pod sets).
func TestShippedConfigsCheck(t *testing.T) {
	bin := buildAgent(t)
	files, err := filepath.Glob("../../configs/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped configs (%v)", err)
	}
	sidecar, err := os.ReadFile("../../configs/deploy/kubernetes-sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(sidecar))
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc.Kind == "ConfigMap" && doc.Data["agent.yml"] != "" {
			f := filepath.Join(t.TempDir(), "kubernetes-sidecar-agent.yml")
			if err := os.WriteFile(f, []byte(doc.Data["agent.yml"]), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	if len(files) < 3 {
		t.Fatalf("configs checked: %v; the Kubernetes example's agent.yml was not found", files)
	}
	cmd := exec.Command(bin, append([]string{"check-config"}, files...)...)
	// What the sidecar's pod spec sets from the downward API; nothing
	// else comes from the environment.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "POD_NAME=checkout-1", "POD_NAMESPACE=shop", "SLOAGENT_LOCATION=eu-central"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("check-config %v: %v\n%s", files, err, out)
	}
	if n := strings.Count(string(out), ": OK, "); n != len(files) {
		t.Errorf("%d of %d configs OK:\n%s", n, len(files), out)
	}
}
