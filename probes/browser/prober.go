package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sloagent/sloagent/probes"
)

// diagReserve is the most of a run's time kept back from the steps, so a
// step that runs out of time still leaves time for timings and diagnostics.
const diagReserve = 2 * time.Second

// defaultRunTimeout bounds a run whose context has no deadline.
const defaultRunTimeout = 2 * time.Minute

// diagTimeout bounds collecting timings and diagnostics after the steps.
const diagTimeout = 5 * time.Second

// targetStepName names the navigation to the probe's target added before
// steps that do not start with one.
const targetStepName = "target"

type prober struct {
	b     *Browser
	name  string // the probe's, in diagnostics folder names
	steps []runStep
	// assertConsole fails a run whose pages logged errors, except those
	// ignoreConsole matches, which are not counted either.
	assertConsole bool
	ignoreConsole []*regexp.Regexp

	mu      sync.Mutex
	tickets []*ticket // slots admitted for the next runs, oldest first
}

// runStep is a configured step with what New resolved.
type runStep struct {
	*Step
	name string
	url  string      // of a navigate step, resolved against the target
	act  *stepAction // what the step does, such as click
	what string      // what it acts on, such as "#login"
	// cookieURL is the page a set_cookie step without url or domain
	// sets its cookie for: the next one the journey opens.
	cookieURL string
}

// New returns a prober that runs c's journey on b, as NewNamed does for a
// probe without a name.
func New(b *Browser, target string, c *Config) (probes.Prober, error) {
	return NewNamed(b, "", target, c)
}

// NewNamed returns a prober that runs c's journey on b for the probe name.
// When target is set and the first step is not a navigate, the journey
// starts by loading target (a step named "target"); relative navigate URLs
// are resolved against it. The prober is a probes.Admitter: a runner that
// calls Admit first keeps the wait for a browser slot out of the run's
// timeout.
func NewNamed(b *Browser, name, target string, c *Config) (probes.Prober, error) {
	if b == nil {
		return nil, errors.New("browser probes need the agent's browser")
	}
	if c == nil {
		c = &Config{}
	}
	var base *url.URL
	if target != "" {
		u, err := url.Parse(target)
		if err != nil || !u.IsAbs() {
			return nil, fmt.Errorf("target %q is not an absolute URL", target)
		}
		base = u
	}
	p := &prober{b: b, name: name, assertConsole: c.AssertNoConsoleErrors}
	for _, re := range c.IgnoreConsoleErrors {
		if re.Regexp != nil {
			p.ignoreConsole = append(p.ignoreConsole, re.Regexp)
		}
	}
	names := map[string]bool{}
	for i := range c.Steps {
		s := &c.Steps[i]
		rs := runStep{Step: s, name: stepName(s, i)}
		if rs.act = s.firstAction(); rs.act == nil {
			return nil, fmt.Errorf("steps[%d] has no action", i)
		}
		rs.what = rs.act.on(s)
		if s.Navigate != "" {
			u, err := url.Parse(s.Navigate)
			if err != nil {
				return nil, fmt.Errorf("steps[%d].navigate: %v", i, err)
			}
			if !u.IsAbs() {
				if base == nil {
					return nil, fmt.Errorf("steps[%d].navigate: %q is relative and the probe has no target", i, s.Navigate)
				}
				u = base.ResolveReference(u)
			}
			rs.url = u.String()
		}
		names[rs.name] = true
		p.steps = append(p.steps, rs)
	}
	// The journey opens the target first, after the steps that set up
	// the browser context (cookies, headers), unless it starts by
	// opening a page itself.
	first := 0
	for first < len(p.steps) && p.steps[first].act.setsUp {
		first++
	}
	if base != nil && (first == len(p.steps) || p.steps[first].Navigate == "") {
		name := targetStepName
		for names[name] {
			name = "_" + name
		}
		s := &Step{Navigate: target}
		open := runStep{Step: s, name: name, url: base.String(), act: s.firstAction(), what: target}
		p.steps = append(p.steps[:first], append([]runStep{open}, p.steps[first:]...)...)
	}
	if len(p.steps) == 0 || first == len(p.steps) {
		return nil, errors.New("a browser probe needs a target or at least one step that opens a page")
	}
	next := ""
	for i := len(p.steps) - 1; i >= 0; i-- {
		s := &p.steps[i]
		if s.url != "" {
			next = s.url
		}
		if c := s.SetCookie; c != nil && c.Domain == "" {
			s.cookieURL = c.URL
			if s.cookieURL == "" {
				s.cookieURL = next
			}
			if s.cookieURL == "" {
				return nil, fmt.Errorf("steps[%d].set_cookie: set url or domain: no page is opened after it", i)
			}
		}
	}
	return p, nil
}

// run is the state of one run of a journey.
type run struct {
	headers    network.Headers // what set_header steps added so far
	stepsEnded time.Time       // when the last step ran (or the run failed)
	p          *prober
	in         *instance
	rec        *recorder
	tab        context.Context // the run's tab; no deadline of its own
	diag       *diagRun
	log        *slog.Logger
}

// Probe runs the journey once in a fresh browser context, which is thrown
// away afterwards with its cookies and cache. It uses the slot an earlier
// Admit took; without one it waits for a slot within its own deadline.
// The run's duration starts once it has a slot.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, ok := ctx.Deadline(); !ok {
		// The agent always sets one; this keeps any other caller from
		// waiting for ever on a page that never answers.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultRunTimeout)
		defer cancel()
	}
	t := p.takeTicket()
	if t == nil {
		waited := time.Now()
		var err error
		if t, err = p.b.takeSlot(ctx, 0); err != nil {
			r := unavailable(ctx, err)
			r.Duration = time.Since(waited)
			return r
		}
		t.taken, t.released = true, true
	}
	start := time.Now()
	in, err := p.b.acquire(ctx)
	if err != nil {
		t.ended()
		r := unavailable(ctx, err)
		r.Duration = time.Since(start)
		return r
	}
	r := &run{p: p, in: in, rec: newRecorder(p.ignoreConsole), diag: p.b.newDiagRun(start, p.name), log: log}
	tab, tabCancel := chromedp.NewContext(in.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(r.rec.listen))
	r.tab = tab
	go handleDialogs(tab, r.rec.dialogs)
	// Ending the run closes the tab and its browser context, never the
	// browser. Closing waits for Chromium, so it happens after the result
	// is returned, and the run's slot is freed only then.
	unwatch := context.AfterFunc(ctx, tabCancel)
	defer func() {
		go func() {
			unwatch()
			tabCancel()
			p.b.release(in)
			t.ended()
		}()
	}()
	res := r.execute(ctx)
	// The journey's time: opening the tab and the steps, not reading
	// timings and saving diagnostics after them.
	res.Duration = r.stepsEnded.Sub(start)
	return res
}

func unavailable(ctx context.Context, err error) probes.Result {
	if errors.Is(err, errNoSlot) {
		return probes.Fail(probes.ReasonTimeout, err.Error())
	}
	if ctx.Err() == context.Canceled {
		return probes.Fail(probes.ReasonCanceled, err.Error())
	}
	return probes.Fail(probes.ReasonBrowserUnavailable, "browser unavailable: "+err.Error())
}

func (r *run) execute(ctx context.Context) probes.Result {
	// The steps stop early enough to leave time for diagnostics.
	steps, cancel := context.WithCancel(r.tab)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	if dl, ok := ctx.Deadline(); ok {
		reserve := min(diagReserve, time.Until(dl)/4)
		var c context.CancelFunc
		steps, c = context.WithDeadline(steps, dl.Add(-reserve))
		defer c()
	}

	res := probes.Result{Success: true}
	var samples []probes.Sample
	t0 := time.Now()
	if err := r.setup(steps); err != nil {
		res = r.failure(ctx, nil, time.Since(t0), waiting("the browser tab", err))
	}
	for i := 0; res.Success && i < len(r.p.steps); i++ {
		s := &r.p.steps[i]
		t0 := time.Now()
		err := r.step(steps, s)
		took := time.Since(t0)
		samples = append(samples, probes.Sample{
			Name:   MetricStepDuration,
			Labels: []probes.Label{{Name: "step", Value: s.name}},
			Value:  took.Seconds(),
		})
		if err != nil {
			res = r.failure(ctx, s, took, err)
			samples = append(samples, probes.Sample{Name: MetricFailedStep,
				Labels: []probes.Label{{Name: "step", Value: s.name}}, Value: 1})
		}
		if r.log.Enabled(ctx, slog.LevelDebug) {
			// s.what is a selector or URL, never typed text.
			r.log.Debug("browser step", "step", s.name, "action", s.act.name, "on", s.what, "took", took, "err", err)
		}
	}
	r.stepsEnded = time.Now()
	if res.Success {
		res.Message = fmt.Sprintf("%d steps passed", len(r.p.steps))
	}

	dctx, dcancel := context.WithTimeout(r.tab, diagTimeout)
	defer dcancel()
	if dl, ok := ctx.Deadline(); ok {
		var c context.CancelFunc
		dctx, c = context.WithDeadline(dctx, dl)
		defer c()
	}
	// A crashed page answers nothing; asking it would only wait.
	pageOK := r.in.alive() && !r.rec.crashed()
	var tm timings
	if pageOK {
		// Timings may wait for what a busy browser reports late as long
		// as diagnostics may take; a run that failed, or may still fail
		// on its console errors, keeps half of that for the screenshot.
		tctx, tcancel := dctx, context.CancelFunc(func() {})
		if !res.Success || r.p.assertConsole {
			tctx, tcancel = context.WithTimeout(dctx, diagTimeout/2)
		}
		var err error
		if tm, err = collectTimings(tctx); err != nil && r.log.Enabled(ctx, slog.LevelDebug) {
			r.log.Debug("reading page timings", "err", err)
		}
		tcancel()
	}
	console, consoleErrors, failed, failedCount := r.rec.snapshot()
	res.Samples = append(samples, timingSamples(tm)...)
	res.Samples = append(res.Samples,
		probes.Sample{Name: MetricConsoleErrors, Value: float64(consoleErrors)},
		probes.Sample{Name: MetricFailedRequests, Value: float64(failedCount)},
	)
	if res.Success && r.p.assertConsole && consoleErrors > 0 {
		res = r.consoleFailure(res, consoleErrors, r.rec.firstError())
	}
	if !res.Success && pageOK {
		if png, err := chromedp.Run(dctx, chromedp.CaptureScreenshot()); err == nil {
			r.diag.write("screenshot.png", png)
		} else if r.log.Enabled(ctx, slog.LevelDebug) {
			r.log.Debug("taking the failure screenshot", "err", err)
		}
	}
	if !res.Success {
		r.diag.writeJSON("console.json", console)
		r.diag.writeJSON("requests.json", failed)
	}
	res.Diagnostics = r.diag.finish()
	if r.diag.err != nil {
		r.log.Warn("writing browser diagnostics", "err", r.diag.err)
	}
	return res
}

// vitalsWait bounds the wait for the first paint of a page with neither
// text nor an image, which may never paint, when the run reads its Web
// Vitals. What is certain to come is waited for as long as diagnostics
// may take (diagTimeout).
const vitalsWait = time.Second

// timingSamples turns the page's timings into samples. What the page did
// not report is left out rather than exported as zero, and
// probe_browser_web_vital_available says for each vital whether it was
// measured in this run.
func timingSamples(t timings) []probes.Sample {
	var out []probes.Sample
	add := func(v *float64, name, label, value string, conv func(float64) float64) {
		if v == nil {
			return
		}
		s := probes.Sample{Name: name, Value: conv(*v)}
		if label != "" {
			s.Labels = []probes.Label{{Name: label, Value: value}}
		}
		out = append(out, s)
	}
	add(t.TTFB, MetricNavigation, "phase", "ttfb", msToSeconds)
	add(t.DCL, MetricNavigation, "phase", "dom_content_loaded", msToSeconds)
	add(t.Load, MetricNavigation, "phase", "load", msToSeconds)
	add(t.LCP, MetricWebVital, "vital", "lcp", msToSeconds)
	add(t.FCP, MetricWebVital, "vital", "fcp", msToSeconds)
	if t.Interactions == 0 {
		t.INP = nil // a value without an interaction is not INP
	}
	add(t.INP, MetricWebVital, "vital", "inp", msToSeconds)
	add(t.CLS, MetricCLS, "", "", roundCLS)
	for _, v := range []struct {
		name string
		val  *float64
	}{{"lcp", t.LCP}, {"fcp", t.FCP}, {"inp", t.INP}, {"cls", t.CLS}} {
		avail := 0.0
		if v.val != nil {
			avail = 1
		}
		out = append(out, probes.Sample{Name: MetricWebVitalAvailable,
			Labels: []probes.Label{{Name: "vital", Value: v.name}}, Value: avail})
	}
	return out
}

// msToSeconds converts a page's timestamp to seconds, rounded to the
// microsecond. Chromium computes a navigation's timestamps as differences
// of large monotonic times, so 6.7 ms arrives as 6.699999999953434; its
// timers are coarsened to 5 us or more, so the rounding loses nothing and
// the metric reads 0.0067 rather than 0.006699999999953434.
func msToSeconds(ms float64) float64 { return math.Round(ms*1e3) / 1e6 }

// roundCLS rounds a layout shift score to 6 decimals: the page sums the
// shifts' scores in JavaScript (0.1 + 0.2 is 0.30000000000000004), and
// scores are judged against thresholds such as 0.1.
func roundCLS(v float64) float64 { return math.Round(v*1e6) / 1e6 }
