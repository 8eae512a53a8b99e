package main

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/sloagent/sloagent/bench/internal/gen"
)

// trueDelay is how long the slow target waits before it answers.
const trueDelay = 100 * time.Millisecond

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
// target really took: the whole run, and processing plus transfer where the
// system reports phases. truth is the target's own timing (accept to answer
// written) minus the nominal delay: the target is woken late when the
// machine is busy, and that is not the prober's error.
type accuracy struct {
	total, server, truth errStat
}

// accuracy runs sys against the slow target with n probes a second for
// window and compares every run's reported duration with trueDelay.
func (b *bench) accuracy(sys system, n int, window time.Duration) (accuracy, error) {
	l := load{n: n, url: b.slow.url, interval: rateInterval, timeout: rateTimeout, record: true}
	before, err := b.slow.delays(b)
	if err != nil {
		return accuracy{}, err
	}
	inst, err := sys.start(b, l)
	if err != nil {
		return accuracy{}, err
	}
	defer inst.stop()
	var runs []gen.Duration
	switch in := inst.(type) {
	case *agentInstance:
		// Each probe's last duration is a gauge: poll faster than
		// the interval and keep each run once.
		seen := map[string]float64{}
		for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(rateInterval / 4) {
			m, err := b.scrape(in.metrics)
			if err != nil {
				return accuracy{}, err
			}
			for p, r := range m.last {
				if r.start != 0 && seen[p] != r.start {
					seen[p] = r.start
					runs = append(runs, r.Duration)
				}
			}
		}
	case *genInstance:
		time.Sleep(window)
		s, err := in.stats()
		if err != nil {
			return accuracy{}, err
		}
		runs = s.Durations
	}
	after, err := b.slow.delays(b)
	if err != nil {
		return accuracy{}, err
	}
	truth := after.sub(before)
	var total, server []float64
	for _, r := range runs {
		total = append(total, r.Total-truth.mean)
		if r.Server > 0 {
			server = append(server, r.Server-truth.mean)
		}
	}
	a := accuracy{total: newErrStat(total), server: newErrStat(server),
		truth: errStat{mean: truth.mean - trueDelay.Seconds(), sd: truth.sd, n: truth.n}}
	b.logf("%s accuracy over %d runs: total %s, processing+transfer %s (the target's delay was %s off)",
		sys.name, len(runs), a.total, a.server, a.truth)
	return a, nil
}

// delayStats are the slow target's sums of its real delays.
type delayStats struct {
	n               int
	sum, sumSquares float64
}

// sub gives the mean and deviation of the delays between two readings.
func (d delayStats) sub(o delayStats) errStat {
	n := d.n - o.n
	if n <= 0 {
		return errStat{}
	}
	mean := (d.sum - o.sum) / float64(n)
	v := (d.sumSquares-o.sumSquares)/float64(n) - mean*mean
	return errStat{mean: mean, sd: math.Sqrt(max(v, 0)), n: n}
}

func (t *target) delays(b *bench) (delayStats, error) {
	resp, err := b.client.Get(t.base + "/-/delays")
	if err != nil {
		return delayStats{}, err
	}
	defer resp.Body.Close()
	var d delayStats
	if _, err := fmt.Fscan(resp.Body, &d.n, &d.sum, &d.sumSquares); err != nil {
		return delayStats{}, fmt.Errorf("reading the target's delays: %v", err)
	}
	return d, nil
}
