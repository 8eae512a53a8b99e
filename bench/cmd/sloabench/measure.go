package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/lag"
	"github.com/sloagent/sloagent/bench/internal/proc"
)

// Every rate is n probes at this interval and timeout, so n is the rate.
const (
	rateInterval = time.Second
	rateTimeout  = 900 * time.Millisecond
)

// sample is one steady window of one system at one rate.
type sample struct {
	rate      int
	achieved  float64 // requests per second the target served
	cpu       float64 // CPU-seconds per 1,000 runs
	targetCPU float64 // the target's CPU-seconds per 1,000 requests
	peak      uint64  // VmHWM at the end, bytes
	late      float64 // share of runs started more than 10 ms late, or skipped
	timedOut  float64 // share of runs that timed out
	failed    float64 // share of runs that failed for any reason
	p99       float64 // lag p99, seconds
	noLag     bool    // the system reports no lag: late and p99 are unknown
	runs      uint64
}

// sustained is the pass criterion of the rate search: every planned run
// ran, none failed or timed out, and the lag p99 stayed under 10 ms.
func (s sample) sustained() bool {
	return s.runs > 0 && s.failed == 0 && s.timedOut == 0 && s.late <= 0.01 &&
		s.achieved >= 0.97*float64(s.rate)
}

func (s sample) String() string {
	lagText := "lag p99 " + ms(s.p99)
	if s.noLag {
		lagText = "no lag reported"
	}
	return fmt.Sprintf("rate %d/s: served %.0f/s, %.3f CPU-s/1k (target %.3f), peak RSS %.1f MB, %s, late %.2f%%, timed out %.2f%%, failed %.2f%%, %d runs",
		s.rate, s.achieved, s.cpu, s.targetCPU, mb(s.peak), lagText, 100*s.late, 100*s.timedOut, 100*s.failed, s.runs)
}

// measure runs sys at rate: warm-up, then one steady window whose CPU time,
// runs and lag are compared.
func (b *bench) measure(sys system, rate int, warm, window time.Duration) (sample, error) {
	// Each measurement has a target of its own, on a new port. An earlier
	// measurement leaves tens of thousands of TIME_WAIT sockets on its
	// target's port for a minute, and on loopback the target's side of
	// each new handshake then costs the prober's own system calls more: at
	// 4,000/s right after a 2,000/s measurement on the same target, 82% of
	// sloagent's runs started late, against 1.5% a minute later.
	tgt, err := b.startTarget("target-rate", 0)
	if err != nil {
		return sample{}, err
	}
	defer tgt.stop()
	inst, err := sys.start(b, load{n: rate, url: tgt.url, interval: rateInterval, timeout: rateTimeout})
	if err != nil {
		return sample{}, err
	}
	defer inst.stop()
	s, err := b.steady(inst, tgt, tgt.pid(), rate, warm, window)
	if err != nil {
		return sample{}, err
	}
	b.logf("%s %s", sys.name, s)
	return s, nil
}

// steady measures a running system after warm: one steady window whose
// CPU time (and, for targetPID above 0, the target's) is divided by what
// the target counted in it, with the system's runs, failures and lag.
func (b *bench) steady(inst instance, tgt *target, targetPID, rate int, warm, window time.Duration) (sample, error) {
	time.Sleep(warm)
	c0, err := inst.counts()
	if err != nil {
		return sample{}, err
	}
	e0, err := b.edge(inst, tgt, targetPID)
	if err != nil {
		return sample{}, err
	}
	time.Sleep(window)
	e1, err := b.edge(inst, tgt, targetPID)
	if err != nil {
		return sample{}, err
	}
	c1, err := inst.counts()
	if err != nil {
		return sample{}, err
	}
	mem, err := proc.Mem(inst.pid())
	if err != nil {
		return sample{}, err
	}

	d := c1.sub(c0)
	served := e1.served - e0.served
	s := sample{rate: rate, runs: d.runs, peak: mem.Peak, noLag: d.noLag, achieved: float64(served) / e1.at.Sub(e0.at).Seconds()}
	if d.runs > 0 {
		n := float64(d.runs)
		// The lag counts are read a moment apart from the run counts;
		// share them out of their own total.
		obs := float64(d.lag.Total())
		s.late = (d.lag.ShareAbove(lag.Late)*obs + float64(d.skipped)) / max(obs+float64(d.skipped), 1)
		s.timedOut = float64(d.timeouts) / n
		s.failed = float64(d.failures) / n
		s.p99 = d.lag.Quantile(0.99)
	}
	// CPU is divided by what the target served between the same two
	// instants: the systems' own counts are read a little later, and a
	// starved system answers late.
	if served > 0 {
		s.cpu = (e1.cpu - e0.cpu).Seconds() / float64(served) * 1000
		s.targetCPU = (e1.targetCPU - e0.targetCPU).Seconds() / float64(served) * 1000
	}
	return s, nil
}

// edge is one end of a steady window: the system's CPU time, the
// target's (when its PID is above 0) and what the target had served, read
// as close together as they can be.
type edge struct {
	cpu, targetCPU time.Duration
	served         uint64
	at             time.Time
}

func (b *bench) edge(inst instance, tgt *target, targetPID int) (edge, error) {
	var e edge
	var err error
	if e.cpu, err = proc.CPU(inst.pid()); err != nil {
		return e, err
	}
	if targetPID > 0 {
		e.targetCPU, _ = proc.CPU(targetPID)
	}
	if e.served, err = tgt.count(b); err != nil {
		return e, err
	}
	e.at = time.Now()
	return e, nil
}

// maxRate finds the highest rate sys sustains: doubling from start until a
// rate fails, then halving the gap bisect times, in steps of 250/s. With
// retry a failed rate is tried once more before it counts as failed, as
// other work on the machine can spoil one window.
func (b *bench) maxRate(sys system, start, limit, bisect int, retry bool, warm, window time.Duration) (int, error) {
	sustains := func(rate int) (bool, error) {
		for try := 0; ; try++ {
			s, err := b.measure(sys, rate, warm, window)
			if err != nil || s.sustained() || !retry || try == 1 {
				return err == nil && s.sustained(), err
			}
		}
	}
	pass, fail := 0, 0
	for rate := start; rate <= limit; rate *= 2 {
		ok, err := sustains(rate)
		if err != nil {
			return 0, err
		}
		if !ok {
			fail = rate
			break
		}
		pass = rate
	}
	for range bisect {
		if fail == 0 {
			break
		}
		mid := (pass + fail) / 2 / 250 * 250
		if mid <= pass || mid >= fail {
			break
		}
		ok, err := sustains(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			pass = mid
		} else {
			fail = mid
		}
	}
	return pass, nil
}

// count asks the target how many requests it has served.
func (t *target) count(b *bench) (uint64, error) {
	resp, err := b.client.Get(t.base + "/-/count")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(body)), 10, 64)
}

// median of each figure of several samples of the same system and rate.
func median(ss []sample) sample {
	if len(ss) == 0 {
		return sample{}
	}
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		return medianOf(v)
	}
	return sample{
		rate:      ss[0].rate,
		noLag:     ss[0].noLag,
		achieved:  med(func(s sample) float64 { return s.achieved }),
		cpu:       med(func(s sample) float64 { return s.cpu }),
		targetCPU: med(func(s sample) float64 { return s.targetCPU }),
		peak:      uint64(med(func(s sample) float64 { return float64(s.peak) })),
		late:      med(func(s sample) float64 { return s.late }),
		timedOut:  med(func(s sample) float64 { return s.timedOut }),
		failed:    med(func(s sample) float64 { return s.failed }),
		p99:       med(func(s sample) float64 { return s.p99 }),
		runs:      uint64(med(func(s sample) float64 { return float64(s.runs) })),
	}
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func ms(sec float64) string {
	if math.IsInf(sec, 1) {
		return "> 5 s"
	}
	return fmt.Sprintf("%.2f ms", sec*1000)
}
