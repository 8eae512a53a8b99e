package main

import (
	"fmt"
	"math"
	"time"

	"github.com/sloagent/sloagent/bench/internal/gen"
)

// trueDelay is how long the slow target waits before it answers.
const trueDelay = 100 * time.Millisecond

// errStat is the mean and standard deviation of reported minus true
// duration, in seconds; n is the number of runs.
type errStat struct {
	mean, sd float64
	n        int
}

func (e errStat) String() string {
	if e.n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.3f ± %.3f ms", e.mean*1000, e.sd*1000)
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
	return errStat{mean: mean, sd: math.Sqrt(sq / float64(len(vals))), n: len(vals)}
}

// accuracy is how far a system's reported durations are from the target's
// exact delay: the whole run, and processing plus transfer where the
// system reports phases.
type accuracy struct {
	total, server errStat
}

// accuracy runs sys against the slow target with n probes a second for
// window and compares every run's reported duration with trueDelay.
func (b *bench) accuracy(sys system, n int, window time.Duration) (accuracy, error) {
	l := load{n: n, url: b.slow.url, interval: rateInterval, timeout: rateTimeout, record: true}
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
	var total, server []float64
	for _, r := range runs {
		total = append(total, r.Total-trueDelay.Seconds())
		if r.Server > 0 {
			server = append(server, r.Server-trueDelay.Seconds())
		}
	}
	a := accuracy{total: newErrStat(total), server: newErrStat(server)}
	b.logf("%s accuracy over %d runs: total %s, processing+transfer %s", sys.name, len(runs), a.total, a.server)
	return a, nil
}
