// Package probetest holds what the tests of the kinds under probes share:
// running a prober with a deadline, asserting on its result and samples,
// decoding and validating a section as the agent does, and a test PKI.
package probetest

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Slack is how much longer than its timeout a run may take in a test before
// it counts as not having returned in time.
const Slack = 3 * time.Second

// Run runs p once with timeout and fails the test if it overran.
func Run(t testing.TB, p probes.Prober, timeout time.Duration) probes.Result {
	t.Helper()
	return RunLog(t, p, timeout, slog.New(slog.DiscardHandler))
}

// RunLog runs p with log as its logger.
func RunLog(t testing.TB, p probes.Prober, timeout time.Duration, log *slog.Logger) probes.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	res := p.Probe(ctx, log)
	if took := time.Since(start); took > timeout+Slack {
		t.Fatalf("probe took %s, timeout was %s", took, timeout)
	}
	return res
}

// RunDebug runs p with a debug logger and returns what it logged.
func RunDebug(t testing.TB, p probes.Prober, timeout time.Duration) (probes.Result, string) {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res := RunLog(t, p, timeout, log)
	return res, buf.String()
}

// WantSuccess fails the test unless res succeeded.
func WantSuccess(t testing.TB, res probes.Result) {
	t.Helper()
	if !res.Success || res.Reason != "" {
		t.Fatalf("want success, got reason %q: %s", res.Reason, res.Message)
	}
}

// WantFail fails the test unless res failed with reason and a message
// containing msgPart.
func WantFail(t testing.TB, res probes.Result, reason, msgPart string) {
	t.Helper()
	if res.Success {
		t.Fatalf("want failure %q, got success: %s", reason, res.Message)
	}
	if res.Reason != reason {
		t.Fatalf("want reason %q, got %q: %s", reason, res.Reason, res.Message)
	}
	if !strings.Contains(res.Message, msgPart) {
		t.Fatalf("message %q does not contain %q", res.Message, msgPart)
	}
}

// Sample returns the value of the sample name whose label values start with
// lv, failing the test if there is none.
func Sample(t testing.TB, res probes.Result, name string, lv ...string) float64 {
	t.Helper()
	v, ok := Find(res, name, lv...)
	if !ok {
		t.Fatalf("no sample %s%v in %v", name, lv, res.Samples)
	}
	return v
}

// Find returns the value of the sample name whose label values start with lv.
func Find(res probes.Result, name string, lv ...string) (float64, bool) {
next:
	for _, s := range res.Samples {
		if s.Name != name {
			continue
		}
		for i, v := range lv {
			if i >= len(s.Labels) || s.Labels[i].Value != v {
				continue next
			}
		}
		return s.Value, true
	}
	return 0, false
}

// Validator is a kind's section.
type Validator interface{ Validate(conf.Report) }

// Problems decodes the file as the agent decodes a section, validates it and
// returns every problem as the agent prints it ("file:line: field: msg"),
// with file as the base name. env supplies ${VAR}s.
func Problems(t testing.TB, path string, out Validator, env map[string]string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	doc, ps := conf.Decode(filepath.Base(path), data, out, lookup)
	if doc.Root == nil && len(ps) > 0 {
		return strings.Split(doc.Err(ps).Error(), "\n")
	}
	// As the agent does: validate what decoded, and report a field
	// that did not decode only once.
	r := conf.NewReport()
	out.Validate(r)
	bad := map[string]bool{}
	for _, p := range ps {
		bad[p.Field] = true
	}
	for _, p := range doc.Locate(r.Problems()) {
		if !bad[p.Field] {
			ps = append(ps, p)
		}
	}
	ps = doc.Locate(ps)
	if len(ps) == 0 {
		return nil
	}
	return strings.Split(doc.Err(ps).Error(), "\n")
}

// InvalidFiles checks each testdata/invalid-*.yml file against the exact
// messages want lists for it, and that want lists every such file.
func InvalidFiles(t *testing.T, newConfig func() Validator, want map[string]string, env map[string]string) {
	t.Helper()
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			got := strings.Join(Problems(t, f, newConfig(), env), "\n")
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expected message for %s; it gives:\n%s", name, got)
			}
			if got != w {
				t.Fatalf("%s:\n got: %s\nwant: %s", name, got, w)
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("expected message for %s, which does not exist", name)
		}
	}
}

// Declared fails the test if res has a sample kind does not declare (by
// name and label names). dynamic names families whose label names the
// probe's config sets, which are checked by name only.
func Declared(t testing.TB, kind *probes.Kind, res probes.Result, dynamic ...string) {
	t.Helper()
	var check []probes.Sample
	for _, s := range res.Samples {
		if !slices.Contains(dynamic, s.Name) {
			check = append(check, s)
		}
	}
	if u := kind.Undeclared(check); len(u) > 0 {
		t.Errorf("samples the kind does not declare:\n%s", strings.Join(u, "\n"))
	}
}
