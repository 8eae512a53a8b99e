package main

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/gen"
)

// trueDelay is how long the slow target waits before it answers.
const trueDelay = 100 * time.Millisecond

// accuracyInterval is the accuracy probes' interval. The harness reads
// sloagent's and cloudprober's runs from their /metrics four times an
// interval, so that no run is missed, while the loop and blackbox_exporter
// are read only at the end of a turn. A long interval, with as many more
// probes for the same rate, keeps those reads (and the CPU they take in
// the harness and the system) rare beside the runs they measure.
const accuracyInterval = 5 * time.Second

// errStat is the mean, standard deviation and 99th percentile of
// reported minus true duration, in seconds; n is the number of runs. The
// target's own figures have no percentile (hasP99 false): it keeps sums.
type errStat struct {
	mean, sd, p99 float64
	hasP99        bool
	n             int
}

func (e errStat) String() string {
	if e.n == 0 {
		return "n/a"
	}
	if !e.hasP99 {
		return fmt.Sprintf("%+.3f ± %.3f ms", e.mean*1000, e.sd*1000)
	}
	return fmt.Sprintf("%+.3f ± %.3f ms, p99 %+.3f", e.mean*1000, e.sd*1000, e.p99*1000)
}

func newErrStat(vals []float64) errStat {
	if len(vals) == 0 {
		return errStat{}
	}
	var sum float64
	for _, v := range vals {
		sum += v
	}
	mean := sum / float64(len(vals))
	var sq float64
	for _, v := range vals {
		sq += (v - mean) * (v - mean)
	}
	sorted := append([]float64(nil), vals...)
	sort.Float64s(sorted)
	p99 := sorted[min(len(sorted)-1, int(math.Ceil(0.99*float64(len(sorted))))-1)]
	return errStat{mean: mean, sd: math.Sqrt(sq / float64(len(vals))), p99: p99, hasP99: true, n: len(vals)}
}

// accuracy is how far a system's reported durations are from the time the
// target really took for the same request: the whole run, and processing
// plus transfer where the system reports phases. Each run is set against
// its own request's true duration (accept to answer written), so that the
// target's own lateness, when the machine wakes it late, is not counted as
// the prober's error; truth is that lateness, shown beside.
type accuracy struct {
	total, server, truth errStat
}

// accuracyRuns are one system's per-run errors, in seconds, pooled over
// its turns.
type accuracyRuns struct {
	total, server, truth []float64
}

func (a accuracyRuns) stats() accuracy {
	return accuracy{total: newErrStat(a.total), server: newErrStat(a.server), truth: newErrStat(a.truth)}
}

// measureAccuracy runs every system against the slow target in turns, in a
// rotating order, so that a busy spell of the shared machine falls on all
// of them alike rather than on whichever ran then.
func (b *bench) measureAccuracy(p plan, r *results) error {
	b.logf("timing accuracy against a target answering after %s", trueDelay)
	runs := map[string]*accuracyRuns{}
	turns := max(p.accuracyTurns, 1)
	for turn := range turns {
		for i := range r.systems {
			sys := r.systems[(i+turn)%len(r.systems)]
			if runs[sys.name] == nil {
				runs[sys.name] = &accuracyRuns{}
			}
			if err := b.accuracy(sys, p.accuracyProbes, p.accuracyWindow/time.Duration(turns), runs[sys.name]); err != nil {
				return fmt.Errorf("%s accuracy: %w", sys.name, err)
			}
		}
	}
	for _, sys := range r.systems {
		a := runs[sys.name].stats()
		r.acc[sys.name] = a
		b.logf("%s accuracy over %d runs: total %s, processing+transfer %s (the target's delay was %s off)",
			sys.name, a.total.n, a.total, a.server, a.truth)
	}
	return nil
}

// accuracy runs sys against the slow target with rate probes a second for
// window and adds every run's error to into.
func (b *bench) accuracy(sys system, rate int, window time.Duration, into *accuracyRuns) error {
	n := rate * int(accuracyInterval/time.Second)
	l := load{n: n, url: b.slow.url, interval: accuracyInterval, timeout: rateTimeout, record: true}
	since := time.Now()
	inst, err := sys.start(b, l)
	if err != nil {
		return err
	}
	defer inst.stop()
	var runs []gen.Duration
	switch in := inst.(type) {
	case *agentInstance:
		// Each probe's last duration is a gauge: poll faster than
		// the interval and keep each run once.
		seen := map[string]float64{}
		for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(accuracyInterval / 4) {
			m, err := b.scrape(in.metrics)
			if err != nil {
				return err
			}
			for p, r := range m.last {
				if r.start != 0 && seen[p] != r.start {
					seen[p] = r.start
					d := r.Duration
					d.Start = int64(r.start * 1e9)
					runs = append(runs, d)
				}
			}
		}
	case *cloudproberInstance:
		if runs, err = in.durations(window, accuracyInterval); err != nil {
			return err
		}
	case *genInstance:
		time.Sleep(window)
		s, err := in.stats()
		if err != nil {
			return err
		}
		runs = s.Durations
	}
	hits, err := b.slow.requestsSince(b, since)
	if err != nil {
		return err
	}
	for _, r := range runs {
		took, ok := hits.match(r.Start)
		if !ok {
			continue // its request was not answered in time to be read
		}
		into.total = append(into.total, r.Total-took)
		if r.Server > 0 {
			into.server = append(into.server, r.Server-took)
		}
		into.truth = append(into.truth, took-trueDelay.Seconds())
	}
	return nil
}

// request is one request the slow target answered: when it accepted the
// connection (Unix nanoseconds) and the seconds until its answer was
// written.
type request struct {
	accepted int64
	took     float64
	used     bool
}

// requests are the slow target's requests, by the time they were accepted.
type requests []request

// matchWithin is how soon after a run began its request must reach the
// target. Runs of 20 probes a second are 50 ms apart, so the request
// within this of a run's start is that run's.
const matchWithin = 20 * time.Millisecond

// match finds the request of a run that began at start and gives its true
// duration; each request is matched once.
func (rs requests) match(start int64) (float64, bool) {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].accepted >= start })
	for ; i < len(rs) && rs[i].accepted-start < int64(matchWithin); i++ {
		if !rs[i].used {
			rs[i].used = true
			return rs[i].took, true
		}
	}
	return 0, false
}

// requestsSince reads the requests the target answered since then, by
// the time each was accepted.
func (t *target) requestsSince(b *bench, since time.Time) (requests, error) {
	hs, err := t.hits(b, since)
	if err != nil {
		return nil, err
	}
	rs := make(requests, 0, len(hs))
	for _, h := range hs {
		if h.took > 0 { // a log without durations has nothing to match
			rs = append(rs, request{accepted: h.at - int64(h.took*1e9), took: h.took})
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].accepted < rs[j].accepted })
	return rs, nil
}

// hit is one request of the target's log: when its answer was written
// (Unix nanoseconds), its path, and the seconds from accepting its
// connection to then (0 where the log does not say).
type hit struct {
	at   int64
	path string
	took float64
}

// hits reads the target's log of the requests it answered since then.
func (t *target) hits(b *bench, since time.Time) ([]hit, error) {
	resp, err := b.client.Get(fmt.Sprintf("%s/-/hits?since=%d", t.base, since.UnixNano()))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("target: %s", resp.Status)
	}
	var hs []hit
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text()) // when written, path, seconds taken
		if len(f) < 2 {
			continue
		}
		h := hit{path: f[1]}
		var err error
		if h.at, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			continue
		}
		if len(f) > 2 {
			if h.took, err = strconv.ParseFloat(f[2], 64); err != nil {
				continue
			}
		}
		hs = append(hs, h)
	}
	return hs, sc.Err()
}
