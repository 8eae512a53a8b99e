package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/report"
)

// fixedRates are the rates at which cost is compared.
var fixedRates = []int{200, 1000}

// memCases are the memory measurements: per probe from the first two, per
// SLO from the second and third, and the last with the SLO windows full.
var memCases = []memCase{{probes: 1000}, {probes: 10000}, {probes: 10000, slos: true}, {probes: 10000, slos: true, history: true}}

type results struct {
	fixed   map[string]map[int]sample // medians, by system and rate
	acc     map[string]accuracy
	mem     []memResult
	memPeer map[int]memResult // cloudprober's, by number of probes, where compared
	herd    *herdResult
	maxRate map[string]int
	kinds   map[string]map[string]sample // tcp, dns, grpc medians, by kind and system
	browser *browserResult               // nil when not measured
	systems []system                     // the systems compared, in the table's order
	notes   []string                     // what was not compared, and why

	quick       bool
	only        string // the part measured alone, if any
	command     string
	blackbox    string
	cloudprober string // which cloudprober was compared
	revision    string
	started     time.Time
	took        time.Duration
}

// measureAll runs every part of the plan, or the one part -only names.
// Systems take turns within each repetition so that a slow spell of the
// machine hits them all alike.
func (b *bench) measureAll(p plan, pt part) (*results, error) {
	r := &results{fixed: map[string]map[int]sample{}, acc: map[string]accuracy{}, maxRate: map[string]int{}, only: pt.name,
		systems: b.systems(), notes: b.notes, cloudprober: b.cloudproberName()}
	for _, measure := range pt.measures {
		if err := measure(b, p, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// measureFixed measures every system at the fixed rates, the systems
// taking turns within each repetition, and keeps the medians.
func (b *bench) measureFixed(p plan, r *results) error {
	raw := map[string]map[int][]sample{}
	for _, sys := range r.systems {
		raw[sys.name] = map[int][]sample{}
		r.fixed[sys.name] = map[int]sample{}
	}
	for rep := range p.reps {
		b.logf("fixed rates, repetition %d of %d", rep+1, p.reps)
		for _, rate := range fixedRates {
			for _, sys := range r.systems {
				s, err := b.measure(sys, rate, p.warm, p.window)
				if err != nil {
					return fmt.Errorf("%s at %d/s: %w", sys.name, rate, err)
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
	return nil
}

// measureMaxRate finds each system's highest sustained rate.
func (b *bench) measureMaxRate(p plan, r *results) error {
	b.logf("highest sustained rate")
	for _, sys := range r.systems {
		best, err := b.maxRate(sys, 1000, p.searchLimit, p.bisect, p.retry, p.searchWarm, p.searchWindw)
		if err != nil {
			return fmt.Errorf("%s rate search: %w", sys.name, err)
		}
		b.logf("%s sustains %d probes/s", sys.name, best)
		r.maxRate[sys.name] = best
	}
	return nil
}

func (b *bench) measureMemory(p plan, r *results) error {
	b.logf("memory over %s of steady running, and /metrics in every format", p.memSteady)
	for i, c := range memCases {
		formats := 0
		if i == 2 {
			formats = p.scrapes
		}
		m, err := b.memory(c, p.memInterval, p.memSteady, p.scrapeEvery, formats)
		if err != nil {
			return fmt.Errorf("memory: %w", err)
		}
		r.mem = append(r.mem, m)
	}
	if b.cloudprober == "" {
		return nil
	}
	// cloudprober with the cases without SLOs, for its column.
	r.memPeer = map[int]memResult{}
	for _, c := range memCases {
		if c.slos {
			continue
		}
		c.cloudprober = true
		m, err := b.memory(c, p.memInterval, p.memSteady, p.scrapeEvery, 0)
		if err != nil {
			return fmt.Errorf("memory: %w", err)
		}
		r.memPeer[c.probes] = m
	}
	return nil
}

// measureSoak is the memory run users meet over hours: the case of
// 10,000 probes with an SLO each, fresh state, at a minute's interval,
// scraped as Prometheus does for as long as -steady says.
func (b *bench) measureSoak(p plan, r *results) error {
	c := memCases[2]
	b.logf("soak: sloagent with %s for %s", c, p.memSteady)
	m, err := b.memory(c, time.Minute, p.memSteady, p.scrapeEvery, 0)
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	r.mem = append(r.mem, m)
	return nil
}

func (b *bench) measureHerd(p plan, r *results) error {
	b.logf("requests in the first interval after a start and after a reload")
	h, err := b.herd(p.herdProbes, p.herdInterval)
	if err != nil {
		return fmt.Errorf("start-up: %w", err)
	}
	r.herd = &h
	return nil
}

// table lays the results out, one column per system.
func (r *results) table() report.Table {
	t := report.Table{}
	for _, s := range r.systems {
		t.Systems = append(t.Systems, s.name)
	}
	if r.only == "kinds" {
		t.Rows = r.kindRows()
		return t
	}
	per := func(f func(name string) report.Cell) []report.Cell {
		var cs []report.Cell
		for _, s := range r.systems {
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
	// lagged is fixed for the lag's rows: n/a for a system that
	// reports no lag.
	lagged := func(rate int, f func(sample) float64) []report.Cell {
		cs := fixed(rate, f)
		for i, s := range r.systems {
			if r.fixed[s.name][rate].noLag {
				cs[i] = report.Text("n/a")
			}
		}
		return cs
	}
	if r.only == "" || r.only == "rates" {
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
				Cells: lagged(rate, func(s sample) float64 { return s.p99 * 1000 })})
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("runs started > 10 ms late at %d/s", rate), Format: "%.2f%%",
				Cells: lagged(rate, func(s sample) float64 { return 100 * s.late })})
			t.Rows = append(t.Rows, report.Row{Name: fmt.Sprintf("runs timed out at %d/s", rate), Format: "%.2f%%",
				Cells: fixed(rate, func(s sample) float64 { return 100 * s.timedOut })})
		}
		if r.only == "" {
			t.Rows = append(t.Rows, r.kindRows()...)
		}
		t.Rows = append(t.Rows, report.Row{Name: "highest sustained rate (probes/s)", Format: "%.0f", Ratio: true,
			Cells: per(func(n string) report.Cell { return report.Val(float64(r.maxRate[n])) })})
	}
	if r.only == "" || r.only == "accuracy" {
		t.Rows = append(t.Rows,
			report.Row{Name: "reported duration minus the same request's true duration, 100 ms target, whole run (mean ± sd, p99)",
				Cells: per(func(n string) report.Cell { return report.Text(r.acc[n].total.String()) })},
			report.Row{Name: "reported duration minus the same request's true duration, 100 ms target, processing + transfer (mean ± sd, p99)",
				Cells: per(func(n string) report.Cell { return report.Text(r.acc[n].server.String()) })},
			report.Row{Name: "the 100 ms target's own delay minus 100 ms, during those runs (mean ± sd, p99)",
				Cells: per(func(n string) report.Cell { return report.Text(r.acc[n].truth.String()) })},
		)
	}
	one := func(name, text string) {
		t.Rows = append(t.Rows, report.Row{Name: name, Cells: []report.Cell{report.Text(text)}})
	}
	// withPeer is a row of sloagent's figure, with cloudprober's beside
	// it where it was measured (peer is "" where not).
	withPeer := func(name, agent, peer string) {
		t.Rows = append(t.Rows, report.Row{Name: name, Cells: per(func(n string) report.Cell {
			switch {
			case n == sysAgent.name:
				return report.Text(agent)
			case n == sysCloudprober.name && peer != "":
				return report.Text(peer)
			}
			return report.Cell{}
		})})
	}
	for _, m := range r.mem {
		peer := ""
		if pm, ok := r.memPeer[m.probes]; ok && !m.slos {
			peer = fmt.Sprintf("%.1f / %.1f", mb(pm.rss), mb(pm.maxRSS))
		}
		withPeer(fmt.Sprintf("RSS with %s, median / max over %s steady (MB)", m.memCase, m.steady),
			fmt.Sprintf("%.1f / %.1f", mb(m.rss), mb(m.maxRSS)), peer)
		one(fmt.Sprintf("live Go heap / peak RSS at start / state file resident with %s (MB)", m.memCase),
			fmt.Sprintf("%.1f / %.1f / %.1f", mb(m.heap), mb(m.peak), mb(m.file)))
		if len(m.over) > 20 {
			var pts []string
			for k := 19; k < len(m.over); k += 20 {
				pts = append(pts, fmt.Sprintf("%.0f", mb(m.over[k])))
			}
			one(fmt.Sprintf("RSS every 5 minutes with %s (MB)", m.memCase), strings.Join(pts, ", "))
		}
	}
	if len(r.mem) >= 3 {
		p1, p10, s10 := r.mem[0], r.mem[1], r.mem[2]
		dn := float64(p10.probes - p1.probes)
		peer := ""
		c1, ok1 := r.memPeer[p1.probes]
		c10, ok10 := r.memPeer[p10.probes]
		if ok1 && ok10 {
			peer = fmt.Sprintf("%.0f (RSS)", (float64(c10.rss)-float64(c1.rss))/dn)
		}
		withPeer("memory per probe, RSS / live Go heap (bytes)", fmt.Sprintf("%.0f / %.0f",
			(float64(p10.rss)-float64(p1.rss))/dn, (float64(p10.heap)-float64(p1.heap))/dn), peer)
		one("memory per SLO, fresh state, RSS / live Go heap (bytes)", fmt.Sprintf("%.0f / %.0f",
			(float64(s10.rss)-float64(p10.rss))/float64(s10.probes), (float64(s10.heap)-float64(p10.heap))/float64(s10.probes)))
		if len(r.mem) >= 4 {
			h := r.mem[3]
			one("memory per SLO, 30-day windows full, RSS / live Go heap (bytes)", fmt.Sprintf("%.0f / %.0f",
				(float64(h.rss)-float64(p10.rss))/float64(h.probes), (float64(h.heap)-float64(p10.heap))/float64(h.probes)))
			one("state file per SLO, fresh after the steady run / 30 days of history (bytes)", fmt.Sprintf("%d / %d",
				s10.stateBytes/int64(s10.probes), h.stateBytes/int64(h.probes)))
		}
	}
	for _, m := range r.mem {
		for _, f := range m.formats {
			one(fmt.Sprintf("/metrics with %s as %s (ms, kB, served as)", m.memCase, f.scrapeFormat),
				fmt.Sprintf("%.1f, %d, %s", f.seconds*1000, f.bytes/1024, f.served))
		}
	}
	if h := r.herd; h != nil {
		secs := int(h.interval / time.Second)
		cell := func(w herdWindow) report.Cell {
			return report.Text(fmt.Sprintf("%d / %d / %d", w.requests, w.peak, w.twice))
		}
		for _, w := range []struct {
			what  string
			agent herdWindow
			peer  *herdWindow // cloudprober's, after a start only
		}{{"start", h.start, h.cloudprober}, {"reload", h.reload, nil}} {
			name := fmt.Sprintf("requests in the first %s after a %s of %d probes at %s: all / busiest second / probes run twice (even: %d / %d / 0)",
				h.interval, w.what, h.probes, h.interval, h.probes, (h.probes+secs-1)/secs)
			t.Rows = append(t.Rows, report.Row{Name: name, Cells: per(func(n string) report.Cell {
				switch {
				case n == sysAgent.name:
					return cell(w.agent)
				case n == sysCloudprober.name && w.peer != nil:
					return cell(*w.peer)
				}
				return report.Cell{}
			})})
		}
	}
	if r.only == "" || r.only == "rates" {
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
