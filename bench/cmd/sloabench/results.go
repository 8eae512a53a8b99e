package main

import (
	"fmt"
	"math"
	"time"

	"github.com/sloagent/sloagent/bench/internal/report"
)

// fixedRates are the rates at which cost is compared.
var fixedRates = []int{200, 1000}

// memProbes are the probe counts whose memory is measured.
var memProbes = []int{1000, 10000}

type results struct {
	fixed   map[string]map[int]sample // medians, by system and rate
	acc     map[string]accuracy
	mem     []memResult
	maxRate map[string]int
	kinds   map[string]map[string]sample // tcp, dns, grpc medians, by kind and system
	browser *browserResult               // nil when not measured

	quick     bool
	memOnly   bool // only memory and /metrics were measured
	kindsOnly bool // only the tcp, dns and grpc kinds were measured
	command   string
	blackbox  string
	revision  string
	started   time.Time
	took      time.Duration
}

// measureAll runs every part of the plan, or with memOnly the memory and
// /metrics part. Systems take turns within each repetition so that a slow
// spell of the machine hits them all alike.
func (b *bench) measureAll(p plan, memOnly, kindsOnly bool) (*results, error) {
	r := &results{fixed: map[string]map[int]sample{}, acc: map[string]accuracy{}, maxRate: map[string]int{}, memOnly: memOnly}
	if memOnly {
		return r, b.measureMemory(p, r)
	}
	if kindsOnly {
		r.kindsOnly = true
		return r, b.measureKinds(p, r)
	}
	raw := map[string]map[int][]sample{}
	for _, sys := range systems {
		raw[sys.name] = map[int][]sample{}
		r.fixed[sys.name] = map[int]sample{}
	}
	for rep := range p.reps {
		b.logf("fixed rates, repetition %d of %d", rep+1, p.reps)
		for _, rate := range fixedRates {
			for _, sys := range systems {
				s, err := b.measure(sys, rate, p.warm, p.window)
				if err != nil {
					return nil, fmt.Errorf("%s at %d/s: %w", sys.name, rate, err)
				}
				raw[sys.name][rate] = append(raw[sys.name][rate], s)
			}
		}
	}
	for name, byRate := range raw {
		for rate, ss := range byRate {
			r.fixed[name][rate] = median(ss)
		}
	}
	if err := b.measureKinds(p, r); err != nil {
		return nil, err
	}
	b.logf("timing accuracy against a target answering after %s", trueDelay)
	for _, sys := range systems {
		a, err := b.accuracy(sys, p.accuracyProbes, p.accuracyWindow)
		if err != nil {
			return nil, fmt.Errorf("%s accuracy: %w", sys.name, err)
		}
		r.acc[sys.name] = a
	}
	if err := b.measureMemory(p, r); err != nil {
		return nil, err
	}
	b.logf("highest sustained rate")
	for _, sys := range systems {
		best, err := b.maxRate(sys, 1000, p.searchLimit, p.bisect, p.retry, p.searchWarm, p.searchWindw)
		if err != nil {
			return nil, fmt.Errorf("%s rate search: %w", sys.name, err)
		}
		b.logf("%s sustains %d probes/s", sys.name, best)
		r.maxRate[sys.name] = best
	}
	br, err := b.measureBrowserIfPossible(p)
	if err != nil {
		return nil, err
	}
	r.browser = br
	return r, nil
}

func (b *bench) measureMemory(p plan, r *results) error {
	b.logf("memory and /metrics with many probes")
	for _, slos := range []bool{false, true} {
		for _, n := range memProbes {
			m, err := b.memory(n, slos, p.memInterval, p.scrapes)
			if err != nil {
				return fmt.Errorf("memory: %w", err)
			}
			r.mem = append(r.mem, m)
		}
	}
	return nil
}

// table lays the results out, one column per system.
func (r *results) table() report.Table {
	t := report.Table{}
	for _, s := range systems {
		t.Systems = append(t.Systems, s.name)
	}
	if r.kindsOnly {
		t.Rows = r.kindRows()
		return t
	}
	per := func(f func(name string) report.Cell) []report.Cell {
		var cs []report.Cell
		for _, s := range systems {
			cs = append(cs, f(s.name))
		}
		return cs
	}
	fixed := func(rate int, f func(sample) float64) []report.Cell {
		return per(func(n string) report.Cell {
			s, ok := r.fixed[n][rate]
			if !ok || s.runs == 0 {
				return report.Cell{}
			}
			return report.Val(f(s))
		})
	}
	if !r.memOnly {
		for _, rate := range fixedRates {
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("CPU-seconds per 1,000 probes at %d/s", rate), Format: "%.3f", Ratio: true,
				Cells: fixed(rate, func(s sample) float64 { return s.cpu })})
		}
		for _, rate := range fixedRates {
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("peak RSS at %d/s (MB)", rate), Format: "%.1f", Ratio: true,
				Cells: fixed(rate, func(s sample) float64 { return mb(s.peak) })})
		}
		for _, rate := range fixedRates {
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("lag p99 at %d/s (ms)", rate), Format: "%.2f",
				Cells: fixed(rate, func(s sample) float64 { return s.p99 * 1000 })})
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("runs started > 10 ms late at %d/s", rate), Format: "%.2f%%",
				Cells: fixed(rate, func(s sample) float64 { return 100 * s.late })})
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("runs timed out at %d/s", rate), Format: "%.2f%%",
				Cells: fixed(rate, func(s sample) float64 { return 100 * s.timedOut })})
		}
		t.Rows = append(t.Rows, r.kindRows()...)
		t.Rows = append(t.Rows, report.Row{Name: "highest sustained rate (probes/s)", Format: "%.0f", Ratio: true,
			Cells: per(func(n string) report.Cell { return report.Val(float64(r.maxRate[n])) })})
		t.Rows = append(t.Rows,
			report.Row{Name: "reported duration minus true, 100 ms target, whole run (mean ± sd)",
				Cells: per(func(n string) report.Cell { return report.Text(r.acc[n].total.String()) })},
			report.Row{Name: "reported duration minus true, 100 ms target, processing + transfer (mean ± sd)",
				Cells: per(func(n string) report.Cell { return report.Text(r.acc[n].server.String()) })},
			report.Row{Name: "the 100 ms target's own delay minus 100 ms, during that run (mean ± sd)",
				Cells: per(func(n string) report.Cell { return report.Text(r.acc[n].truth.String()) })},
		)
	}
	mem := map[bool][]memResult{}
	for _, m := range r.mem {
		what := "probes"
		if m.slos {
			what = "probes and an SLO each"
		}
		mem[m.slos] = append(mem[m.slos], m)
		t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("RSS / live Go heap with %d %s, all run once (MB)", m.probes, what),
			Cells: []report.Cell{report.Text(fmt.Sprintf("%.1f / %.1f", mb(m.rss), mb(m.heap)))}})
	}
	for _, slos := range []bool{false, true} {
		ms := mem[slos]
		if len(ms) != 2 {
			continue
		}
		lo, hi := ms[0], ms[1]
		dn := float64(hi.probes - lo.probes)
		rss := (float64(hi.rss) - float64(lo.rss)) / dn
		heap := (float64(hi.heap) - float64(lo.heap)) / dn
		name := "memory per probe, RSS / live Go heap (bytes)"
		if slos {
			name = "memory per probe with its SLO, RSS / live Go heap (bytes)"
		}
		t.Rows = append(t.Rows, report.Row{Name: name, Cells: []report.Cell{report.Text(fmt.Sprintf("%.0f / %.0f", rss, heap))}})
	}
	for _, m := range r.mem {
		if m.probes != memProbes[len(memProbes)-1] {
			continue
		}
		what := ""
		if m.slos {
			what = " and an SLO each"
		}
		t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("/metrics at %d probes%s: gzip as Prometheus asks / plain text (ms)", m.probes, what),
			Cells: []report.Cell{report.Text(fmt.Sprintf("%.1f (%d kB) / %.1f (%d kB)", m.scrapeGzip*1000, m.sizeGzip/1024, m.scrapePlain*1000, m.sizePlain/1024))}})
	}
	if !r.memOnly {
		t.Rows = append(t.Rows, report.Row{Name: "target's CPU-seconds per 1,000 requests at 200/s", Format: "%.3f",
			Cells: fixed(200, func(s sample) float64 { return s.targetCPU })})
	}
	for i := range t.Rows {
		for j, c := range t.Rows[i].Cells {
			if c.Ok && (math.IsNaN(c.V) || math.IsInf(c.V, 0)) {
				t.Rows[i].Cells[j] = report.Text("> 5000")
			}
		}
	}
	return t
}
