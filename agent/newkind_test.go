package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/kinds"
)

// echoLength is the one family of the echo kind.
var echoLength = probes.Family{Name: "probe_echo_length", Help: "Length of the echoed word.", Type: probes.Gauge, Labels: []string{"word"}}

// echoConfig is the echo kind's section.
type echoConfig struct {
	Word string `yaml:"word"`
}

func (c *echoConfig) Validate(r conf.Report) {
	if c.Word == "" {
		r.Errorf("word", "missing word")
	}
}

// echoKind is a kind that exists only in this test: the package a new
// kind would be, in a few lines. Its runs pass with the word's length,
// except that the word "fail" fails with a reason of its own.
var echoKind = probes.NewKind(probes.Definition[echoConfig]{
	Name:     "echo",
	Summary:  "the length of a word, a kind of this test only",
	Required: "an echo probe needs an echo section with a word",
	New: func(target string, c *echoConfig) (probes.Prober, error) {
		return probes.ProberFunc(func(context.Context, *slog.Logger) probes.Result {
			if c.Word == "fail" {
				return probes.Fail("echo_refused", "the word is fail")
			}
			return probes.Result{Success: true, Samples: []probes.Sample{{
				Name: echoLength.Name, Labels: []probes.Label{{Name: "word", Value: c.Word}}, Value: float64(len(c.Word)),
			}}}
		}), nil
	},
	Families: []probes.Family{echoLength},
	Reasons:  []string{"echo_refused"},
})

// withEchoKind is the one line: the echo kind in kinds.All, for the test.
// The test must not be parallel, as kinds.All is the process's.
func withEchoKind(t *testing.T) {
	old := kinds.All
	kinds.All = append(slices.Clip(old), &echoKind)
	t.Cleanup(func() { kinds.All = old })
}

// A kind that is only registered reaches every part of the agent: config
// decoding (unknown keys of its section and its own checks, each with its
// line), check-config, the runs, every /metrics format with its family's
// help and type, the names plugins may not take, the status page, a debug
// run and once. Nothing else names the kind.
func TestRegisteredKindNeedsNothingElse(t *testing.T) {
	withEchoKind(t)
	dir := t.TempDir()

	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte(`probes:
  - {name: empty, kind: echo, target: x, echo: {word: ""}}
  - {name: typo, kind: echo, target: x, echo: {wrd: hi}}
  - {name: none, kind: echo, target: x}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := Main([]string{"check-config", bad}, &out, &errs); code != 1 {
		t.Fatalf("check-config of a bad echo config: exit %d, want 1\n%s%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"bad.yml:2", "missing word", "bad.yml:3", "wrd", "bad.yml:4", "an echo probe needs an echo section with a word"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("check-config did not say %q:\n%s", want, errs.String())
		}
	}

	config := `
probes:
  - {name: hello, kind: echo, target: x, interval: 100ms, echo: {word: hello}}
  - {name: refused, kind: echo, target: x, interval: 100ms, echo: {word: fail}}
`
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errs.Reset()
	if code := Main([]string{"check-config", good}, &out, &errs); code != 0 {
		t.Fatalf("check-config of an echo config: exit %d\n%s%s", code, out.String(), errs.String())
	}

	ta := startAgent(t, config)
	waitFor(t, "both echo probes to run", func() bool {
		_, ok := ta.value(t, "probe_echo_length", map[string]string{"probe": "hello"})
		_, failed := ta.value(t, "probe_failures_total", map[string]string{"probe": "refused", "reason": "echo_refused"})
		return ok && failed
	})
	if v, _ := ta.value(t, "probe_echo_length", map[string]string{"probe": "hello", "word": "hello"}); v != 5 {
		t.Errorf("probe_echo_length of hello = %v, want 5", v)
	}
	for _, accept := range []string{"text/plain", "application/openmetrics-text", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"} {
		body := scrapeAs(t, ta.web.URL+"/metrics", accept)
		for _, want := range []string{echoLength.Name, echoLength.Help, "hello"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics as %s has no %q", accept, want)
			}
		}
	}
	text := scrapeAs(t, ta.web.URL+"/metrics", "text/plain")
	for _, want := range []string{
		"# HELP probe_echo_length Length of the echoed word.\n# TYPE probe_echo_length gauge\n",
		`probe="hello",word="hello"} 5` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics as text has no %q", want)
		}
	}
	if !reservedMetric(echoLength.Name) {
		t.Errorf("a plugin may take %s, the echo kind's family", echoLength.Name)
	}
	if _, page := get(t, ta.web.URL+"/"); !strings.Contains(page, echoKind.Summary) {
		t.Errorf("the status page does not describe the echo kind")
	}
	if code, body := post(t, ta.web.URL+"/probes/hello/run"); code != 200 || !strings.Contains(body, "probe_echo_length") {
		t.Errorf("debug run of the echo probe: %d\n%s", code, body)
	}

	out.Reset()
	errs.Reset()
	if code := Main([]string{"once", "--config.file=" + good, "--storage.path=" + filepath.Join(dir, "once"), "hello"}, &out, &errs); code != 0 {
		t.Errorf("once with an echo probe: exit %d\n%s%s", code, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "hello") {
		t.Errorf("once did not report the echo probe:\n%s", out.String())
	}
}

// scrapeAs reads /metrics at url asking for accept, and returns the body,
// protobuf decoded into each family's text form.
func scrapeAs(t *testing.T, url, accept string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Type"), "protobuf") {
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var b strings.Builder
	for _, mf := range protoFamilies(t, resp.Body) {
		fmt.Fprintln(&b, mf.String())
	}
	return b.String()
}
