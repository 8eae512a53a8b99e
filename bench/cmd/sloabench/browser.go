package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/proc"
	"github.com/sloagent/sloagent/bench/internal/report"
)

// browserPlan is how long the browser figure measures.
type browserPlan struct {
	reps           int
	warm, window   time.Duration // the cost window: one journey every costInterval
	throughput     time.Duration // the window at saturation
	costInterval   time.Duration
	throughputRuns int // probes at a 20 s interval: more journeys than the browser serves
}

var (
	browserFull  = browserPlan{reps: 3, warm: 15 * time.Second, window: 60 * time.Second, throughput: 60 * time.Second, costInterval: 5 * time.Second, throughputRuns: 60}
	browserQuick = browserPlan{reps: 1, warm: 10 * time.Second, window: 30 * time.Second, throughput: 30 * time.Second, costInterval: 5 * time.Second, throughputRuns: 60}
)

// browserSample is one measurement of one sloagent binary.
type browserSample struct {
	cpuPerRun  float64 // CPU-seconds of the agent and its Chromium per finished journey
	pssMedian  uint64  // Chromium's PSS while journeys run, median of readings every second
	pssPeak    uint64
	perMinute  float64 // successful journeys per minute at saturation
	costFailed uint64  // failed runs at one journey every costInterval
	failed     uint64  // failed runs at saturation: most waited for a slot past their timeout
	costRuns   uint64
	throughRun uint64
}

// browserResult is the figure: the current binary and, when asked, a
// baseline binary of another revision measured in the same sitting.
type browserResult struct {
	names   []string // "sloagent", then the baseline's name
	samples map[string]browserSample
}

// browserSystem is one sloagent binary under test.
type browserSystem struct {
	name, bin string
}

// measureBrowser measures each binary in turn within every repetition, so
// that a slow spell of the shared machine hits them alike.
func (b *bench) measureBrowser(p browserPlan, baseline string) (*browserResult, error) {
	site, err := newBrowserSite()
	if err != nil {
		return nil, err
	}
	defer site.close()
	systems := []browserSystem{{"sloagent", b.bin("sloagent")}}
	if baseline != "" {
		systems = append(systems, browserSystem{"sloagent " + baselineName(baseline), filepath.Join(baseline, "sloagent")})
	}
	raw := map[string][]browserSample{}
	for rep := range p.reps {
		b.logf("browser journeys, repetition %d of %d", rep+1, p.reps)
		for _, sys := range systems {
			s, err := b.browserSample(sys, site, p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sys.name, err)
			}
			b.logf("%s: %.3f CPU-s per journey (%d runs, %d failed), Chromium PSS %.0f MB (peak %.0f MB), %.1f journeys/min (%d failed)",
				sys.name, s.cpuPerRun, s.costRuns, s.costFailed, mb(s.pssMedian), mb(s.pssPeak), s.perMinute, s.failed)
			raw[sys.name] = append(raw[sys.name], s)
		}
	}
	r := &browserResult{samples: map[string]browserSample{}}
	for _, sys := range systems {
		r.names = append(r.names, sys.name)
		r.samples[sys.name] = medianBrowser(raw[sys.name])
	}
	return r, nil
}

// baselineName is what the baseline directory says it holds (a REVISION
// file, as bench/run writes), or its path.
func baselineName(dir string) string {
	if b, err := os.ReadFile(filepath.Join(dir, "REVISION")); err == nil {
		return "at " + strings.TrimSpace(string(b))
	}
	return "from " + dir
}

func (b *bench) browserSample(sys browserSystem, site *browserSite, p browserPlan) (browserSample, error) {
	var s browserSample
	// Cost: one journey every costInterval (timeout 4/5 of it), well
	// below what the browser can do, so each run is measured on its own.
	a, err := b.startBrowserAgent(sys, site, 1, p.costInterval, 1)
	if err != nil {
		return s, err
	}
	time.Sleep(p.warm)
	m0, err := b.scrape(a.metrics)
	if err != nil {
		a.stop()
		return s, err
	}
	cpu0 := proc.TreeCPU(a.pid())
	var pss []float64
	for end := time.Now().Add(p.window); time.Now().Before(end); time.Sleep(time.Second) {
		v := proc.TreePSS(a.pid())
		pss = append(pss, float64(v))
		s.pssPeak = max(s.pssPeak, v)
	}
	cpu1 := proc.TreeCPU(a.pid())
	m1, err := b.scrape(a.metrics)
	a.stop()
	if err != nil {
		return s, err
	}
	d := m1.counts.sub(m0.counts)
	if d.runs == 0 {
		return s, fmt.Errorf("no journey finished in %s (see sloagent-browser.log)", p.window)
	}
	s.costRuns, s.costFailed = d.runs, d.failures
	s.cpuPerRun = (cpu1 - cpu0).Seconds() / float64(d.runs)
	s.pssMedian = uint64(medianOf(pss))

	// Throughput: more journeys than the browser can serve; two slots,
	// as many as there are cores here. Runs that wait past their timeout
	// for a slot fail without using the browser.
	a, err = b.startBrowserAgent(sys, site, p.throughputRuns, 20*time.Second, 2)
	if err != nil {
		return s, err
	}
	defer a.stop()
	time.Sleep(p.warm)
	m0, err = b.scrape(a.metrics)
	if err != nil {
		return s, err
	}
	time.Sleep(p.throughput)
	m1, err = b.scrape(a.metrics)
	if err != nil {
		return s, err
	}
	d = m1.counts.sub(m0.counts)
	s.throughRun = d.runs
	s.failed = d.failures
	s.perMinute = float64(d.runs-d.failures) / p.throughput.Minutes()
	return s, nil
}

// startBrowserAgent starts sys with n browser probes of the site's journey
// at interval, sharing one Chromium with slots concurrent runs.
func (b *bench) startBrowserAgent(sys browserSystem, site *browserSite, n int, interval time.Duration, slots int) (*agentInstance, error) {
	state, err := os.MkdirTemp(b.work, "state-browser-")
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "agent:\n  name: bench\n  state_dir: %s\nbrowser:\n  max_concurrent_runs: %d\n  restart_after_runs: 1000\nprobes:\n", state, slots)
	for i := range n {
		fmt.Fprintf(&sb, "  - name: journey-%d\n    kind: browser\n    target: %s/login\n    interval: %s\n    timeout: %s\n%s",
			i, site.base, interval, interval-interval/5, browserJourney)
	}
	return b.startAgentConfig("sloagent-browser", sys.bin, sb.String())
}

func medianBrowser(ss []browserSample) browserSample {
	pick := func(f func(browserSample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		sort.Float64s(v)
		return medianOf(v)
	}
	var costFailed, failed, cost, through uint64
	for _, s := range ss {
		costFailed += s.costFailed
		failed += s.failed
		cost += s.costRuns
		through += s.throughRun
	}
	return browserSample{
		cpuPerRun:  pick(func(s browserSample) float64 { return s.cpuPerRun }),
		pssMedian:  uint64(pick(func(s browserSample) float64 { return float64(s.pssMedian) })),
		pssPeak:    uint64(pick(func(s browserSample) float64 { return float64(s.pssPeak) })),
		perMinute:  pick(func(s browserSample) float64 { return s.perMinute }),
		costFailed: costFailed,
		failed:     failed,
		costRuns:   cost,
		throughRun: through,
	}
}

// table lays the figure out, one column per binary; the ratio columns
// divide the current one by the baseline.
func (r *browserResult) table() report.Table {
	t := report.Table{Systems: r.names}
	row := func(name, format string, f func(browserSample) float64) {
		var cells []report.Cell
		for _, n := range r.names {
			cells = append(cells, report.Val(f(r.samples[n])))
		}
		t.Rows = append(t.Rows, report.Row{Name: name, Format: format, Cells: cells, Ratio: true})
	}
	row("browser: CPU-seconds per journey (agent and Chromium)", "%.3f", func(s browserSample) float64 { return s.cpuPerRun })
	row("browser: Chromium PSS while journeys run, median (MB)", "%.0f", func(s browserSample) float64 { return mb(s.pssMedian) })
	row("browser: Chromium PSS, peak (MB)", "%.0f", func(s browserSample) float64 { return mb(s.pssPeak) })
	row("browser: journeys per minute one Chromium sustains", "%.1f", func(s browserSample) float64 { return s.perMinute })
	row("browser: failed runs at one journey every 5 s (all repetitions)", "%.0f", func(s browserSample) float64 { return float64(s.costFailed) })
	row("browser: failed runs at saturation (all repetitions)", "%.0f", func(s browserSample) float64 { return float64(s.failed) })
	return t
}

func (r *browserResult) markdown() string {
	return "\n" + r.table().Markdown() + browserMethod
}

const browserMethod = `
How the browser figures are measured: sloagent runs browser probes of one local web application
(bench/cmd/sloabench/browsersite.go, on 127.0.0.1): the login page as the target, then six
steps over three pages (type, type, click to submit, wait for the dashboard that a script
fills from a JSON request, click an item, assert its heading), each run in a fresh browser
context. CPU-seconds per journey: utime+stime of sloagent and every process under it
(Chromium's helpers counted through their parents once reaped) over a window with one journey
every 5 s, divided by the runs finished in it. PSS: the proportional set size of every process
under sloagent (Chromium's, not the agent's), read every second in that window. Journeys per
minute: 60 probes at a 20 s interval (timeout 16 s), more than the browser can serve, two
concurrent runs (max_concurrent_runs: 2): the successful runs over the window. The runs
that fail there mostly waited for a slot past their timeout; one that gets a slot with
little of its timeout left fails in the browser and wastes the slot's time. With a baseline (-browser-baseline DIR), both binaries
take turns within each repetition; figures are medians of the repetitions.
`

// measureBrowserIfPossible adds the browser figure to a full or quick run
// where Chromium is installed.
func (b *bench) measureBrowserIfPossible(p plan, r *results) error {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		b.logf("no /usr/bin/chromium: the browser figure is left out")
		return nil
	}
	bp := browserFull
	if p.reps == quickPlan.reps {
		bp = browserQuick
	}
	br, err := b.measureBrowser(bp, b.browserBaseline)
	r.browser = br
	return err
}

// runBrowser measures the browser figure alone and writes it to out.
func (b *bench) runBrowser(p browserPlan, quick bool, out, command, revision string) error {
	if err := b.makeWork(); err != nil {
		return err
	}
	started := time.Now()
	r, err := b.measureBrowser(p, b.browserBaseline)
	if err != nil {
		return err
	}
	mode := "browser figure only"
	if quick {
		mode += ", quick (rough numbers, one repetition)"
	}
	var sb strings.Builder
	sb.WriteString("# sloagent benchmark results\n\n")
	fmt.Fprintf(&sb, "- command: `%s` (%s, %s, started %s)\n", command, mode, time.Since(started).Round(time.Second), started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&sb, "- machine: %s\n", machine())
	fmt.Fprintf(&sb, "- sloagent revision %s, %s\n", revision, chromiumVersion())
	sb.WriteString(r.markdown())
	return b.writeResults(sb.String(), out)
}

func chromiumVersion() string {
	out, err := exec.Command("/usr/bin/chromium", "--version").Output()
	if err != nil {
		return "Chromium"
	}
	return strings.TrimSpace(string(out))
}
