package main

import (
	"sort"
	"syscall"
	"time"
)

// herdResult is what the probes' targets saw in the first interval after
// the agent started, and after it reloaded its config; and after
// cloudprober started with the same probes, where it is compared.
type herdResult struct {
	probes      int
	interval    time.Duration
	start       herdWindow
	reload      herdWindow
	cloudprober *herdWindow
}

// herdWindow is one interval's requests, from when the agent was started
// or told to reload.
type herdWindow struct {
	requests int // requests served in the interval
	peak     int // most requests in one second of it
	twice    int // probes run twice within half their interval
}

// herd starts n probes at interval, each probing a path of its own on a
// target that logs every request, and counts what the target saw in the
// interval after the start and after a reload (SIGHUP, the same config).
// An even start serves n requests in the interval, interval/n apart, and
// runs no probe twice in it.
func (b *bench) herd(n int, interval time.Duration) (herdResult, error) {
	tgt, err := b.startTargetArgs("target-herd", "-log")
	if err != nil {
		return herdResult{}, err
	}
	defer tgt.stop()
	r := herdResult{probes: n, interval: interval}
	l := load{n: n, url: tgt.url, interval: interval, timeout: 5 * time.Second, paths: true}
	inst, err := b.herdStart(sysAgent, tgt, l, &r.start)
	if err != nil {
		return r, err
	}
	defer inst.stop()
	t1 := time.Now()
	if err := inst.(*agentInstance).cmd.Process.Signal(syscall.SIGHUP); err != nil {
		return r, err
	}
	time.Sleep(time.Until(t1.Add(interval + time.Second)))
	if r.reload, err = tgt.window(b, t1, interval); err != nil {
		return r, err
	}
	b.logf("first interval after reload: %d requests for %d probes, peak %d in a second, %d probes run twice", r.reload.requests, n, r.reload.peak, r.reload.twice)
	inst.stop()
	if b.cloudprober != "" {
		// cloudprober has no signal to reload its config (SIGHUP
		// ends it): its start only.
		r.cloudprober = &herdWindow{}
		peer, err := b.herdStart(sysCloudprober, tgt, l, r.cloudprober)
		if err != nil {
			return r, err
		}
		peer.stop()
	}
	return r, nil
}

// herdStart starts sys with the load and counts what tgt saw in the first
// interval into w; sys is left running.
func (b *bench) herdStart(sys system, tgt *target, l load, w *herdWindow) (instance, error) {
	t0 := time.Now()
	inst, err := sys.start(b, l)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Until(t0.Add(l.interval + time.Second)))
	if *w, err = tgt.window(b, t0, l.interval); err != nil {
		inst.stop()
		return nil, err
	}
	b.logf("%s: first interval after start: %d requests for %d probes, peak %d in a second, %d probes run twice", sys.name, w.requests, l.n, w.peak, w.twice)
	return inst, nil
}

// window reads the target's log from since for one interval.
func (t *target) window(b *bench, since time.Time, interval time.Duration) (herdWindow, error) {
	hs, err := t.hits(b, since)
	if err != nil {
		return herdWindow{}, err
	}
	end := since.Add(interval).UnixNano()
	byPath := map[string][]int64{}
	perSecond := map[int64]int{}
	var w herdWindow
	for _, h := range hs {
		if h.at >= end {
			continue
		}
		w.requests++
		perSecond[(h.at-since.UnixNano())/int64(time.Second)]++
		byPath[h.path] = append(byPath[h.path], h.at)
	}
	for _, c := range perSecond {
		w.peak = max(w.peak, c)
	}
	for _, ts := range byPath {
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		for i := 1; i < len(ts); i++ {
			if time.Duration(ts[i]-ts[i-1]) < interval/2 {
				w.twice++
				break
			}
		}
	}
	return w, nil
}
