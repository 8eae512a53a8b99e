package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// cloudproberModule is built at bench time from the Go module proxy. The
// proxy serves exact versions only (its version list is refused), so the
// version is named: v0.14.4 is the newest it serves (v0.14.5, v0.14.6 and
// v0.15.0 are refused).
const (
	cloudproberModule  = "github.com/cloudprober/cloudprober"
	cloudproberVersion = "v0.14.4"
)

// buildCloudprober returns cloudprober at version, built in a throwaway
// module and kept in cacheDir, so later runs reuse the binary instead of
// building it again (the build takes minutes on two cores).
func buildCloudprober(version, cacheDir string, logf func(string, ...any)) (string, error) {
	dir := filepath.Join(cacheDir, "cloudprober-"+version)
	bin := filepath.Join(dir, "cloudprober")
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	mod, err := os.MkdirTemp("", "cloudprober-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(mod)
	logf("building cloudprober %s from the Go module proxy into %s", version, dir)
	tmp := bin + ".tmp"
	steps := [][]string{
		{"mod", "init", "cloudprober-bench"},
		{"get", cloudproberModule + "@" + version},
		{"build", "-o", tmp, cloudproberModule + "/cmd/cloudprober"},
	}
	for _, args := range steps {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		// The throwaway module must not be taken into a workspace the
		// harness happens to run in.
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, lastLines(out, 5))
		}
	}
	return bin, os.Rename(tmp, bin)
}

// lastLines is the end of a command's output, enough to say why it failed.
func lastLines(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("; ")))
}

// cloudproberName says which cloudprober the results compare.
func (b *bench) cloudproberName() string {
	if b.cloudproberVersion == "" {
		return "cloudprober (" + b.cloudprober + ")"
	}
	return "cloudprober " + b.cloudproberVersion + " (built from the Go module proxy)"
}
