package main

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// herdResult is what the probes' targets saw in the first interval after
// the agent started, and after it reloaded its config.
type herdResult struct {
	probes   int
	interval time.Duration
	start    herdWindow
	reload   herdWindow
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
	t0 := time.Now()
	inst, err := b.startAgentLoad(load{n: n, url: tgt.url, interval: interval, timeout: 5 * time.Second, paths: true})
	if err != nil {
		return r, err
	}
	defer inst.stop()
	time.Sleep(time.Until(t0.Add(interval + time.Second)))
	if r.start, err = tgt.window(b, t0, interval); err != nil {
		return r, err
	}
	b.logf("first interval after start: %d requests for %d probes, peak %d in a second, %d probes run twice", r.start.requests, n, r.start.peak, r.start.twice)
	t1 := time.Now()
	if err := inst.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		return r, err
	}
	time.Sleep(time.Until(t1.Add(interval + time.Second)))
	if r.reload, err = tgt.window(b, t1, interval); err != nil {
		return r, err
	}
	b.logf("first interval after reload: %d requests for %d probes, peak %d in a second, %d probes run twice", r.reload.requests, n, r.reload.peak, r.reload.twice)
	return r, nil
}

// window reads the target's log from since for one interval.
func (t *target) window(b *bench, since time.Time, interval time.Duration) (herdWindow, error) {
	resp, err := b.client.Get(fmt.Sprintf("%s/-/hits?since=%d", t.base, since.UnixNano()))
	if err != nil {
		return herdWindow{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return herdWindow{}, fmt.Errorf("target: %s", resp.Status)
	}
	end := since.Add(interval).UnixNano()
	byPath := map[string][]int64{}
	perSecond := map[int64]int{}
	var w herdWindow
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text()) // when, path, how long it took
		if len(f) < 2 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		path := f[1]
		if err != nil || ns >= end {
			continue
		}
		w.requests++
		perSecond[(ns-since.UnixNano())/int64(time.Second)]++
		byPath[path] = append(byPath[path], ns)
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
	return w, sc.Err()
}
