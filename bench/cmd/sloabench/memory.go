package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sloagent/sloagent/bench/internal/proc"
)

// prometheusAccept is what Prometheus 2.x asks a target for.
const prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

// memCase is one memory measurement: n probes, with an SLO each or not,
// the SLOs' state fresh or given 30 days of history.
type memCase struct {
	probes      int
	slos        bool
	history     bool
	cloudprober bool // cloudprober's memory, not sloagent's (no SLOs)
}

func (c memCase) String() string {
	s := fmt.Sprintf("%d probes", c.probes)
	switch {
	case c.history:
		s += " and an SLO each, 30 days of history"
	case c.slos:
		s += " and an SLO each"
	}
	return s
}

// memResult is sloagent's memory over a steady run of one case.
type memResult struct {
	memCase
	rss        uint64   // median VmRSS over the second half of the run
	maxRSS     uint64   // highest VmRSS during the run, start-up excluded
	peak       uint64   // VmHWM at the end: start-up included
	file       uint64   // highest RssFile less the binary's, as a bound on the state file resident
	heap       uint64   // live Go heap at the end
	stateBytes int64    // size of the state file at the end
	over       []uint64 // VmRSS at each sample, for a soak
	steady     time.Duration
	took       time.Duration
	formats    []formatResult // scrape times, at the largest case with SLOs
}

// memory runs the case's probes at interval until each has run once, then
// for steady more, scraped every scrapeEvery as Prometheus would (OpenMetrics
// accepted, gzip), and reads the agent's resident memory at every scrape.
func (b *bench) memory(c memCase, interval, steady, scrapeEvery time.Duration, formats int) (memResult, error) {
	l := load{n: c.probes, url: b.target.url, interval: interval, timeout: 5 * time.Second, slos: c.slos, history: c.history}
	served0, err := b.target.count(b)
	if err != nil {
		return memResult{}, err
	}
	started := time.Now()
	sys := sysAgent
	if c.cloudprober {
		sys = sysCloudprober
	}
	inst, err := sys.start(b, l)
	if err != nil {
		return memResult{}, err
	}
	defer inst.stop()
	metrics := inst.(interface{ metricsURL() string }).metricsURL()
	// The target's count says when every probe has run, without asking
	// the agent (a scrape is not free at 10,000 probes and SLOs).
	deadline := time.Now().Add(interval + 60*time.Second)
	for {
		time.Sleep(time.Second)
		served, err := b.target.count(b)
		if err != nil {
			return memResult{}, err
		}
		if served-served0 >= uint64(c.probes) {
			break
		}
		if time.Now().After(deadline) {
			return memResult{}, fmt.Errorf("%d probes: only %d requests after %s", c.probes, served-served0, interval+60*time.Second)
		}
	}
	r := memResult{memCase: c, steady: steady}
	// The binary's own pages are file-backed too; what RssFile adds to
	// them once the agent runs is the state file.
	base, err := proc.Mem(inst.pid())
	if err != nil {
		return memResult{}, err
	}
	end := time.Now().Add(steady)
	var rss []float64
	for time.Now().Before(end) {
		time.Sleep(scrapeEvery)
		if _, _, _, err := b.timeScrape(metrics, prometheusAccept, true); err != nil {
			return memResult{}, err
		}
		m, err := proc.Mem(inst.pid())
		if err != nil {
			return memResult{}, err
		}
		rss = append(rss, float64(m.RSS))
		r.over = append(r.over, m.RSS)
		r.maxRSS = max(r.maxRSS, m.RSS)
		if m.File > base.File {
			r.file = max(r.file, m.File-base.File)
		}
		r.peak = m.Peak
	}
	r.rss = uint64(medianOf(rss[len(rss)/2:]))
	r.took = time.Since(started)
	a, ok := inst.(*agentInstance)
	if !ok {
		b.logf("%s with %s: RSS %.1f MB median, %.1f MB max over %s steady (peak %.1f MB at start)",
			sys.name, c, mb(r.rss), mb(r.maxRSS), steady, mb(r.peak))
		return r, nil
	}
	am, err := b.scrape(a.metrics)
	if err != nil {
		return memResult{}, err
	}
	r.heap = am.liveHeap
	if info, err := os.Stat(filepath.Join(a.stateDir, "slo.db")); err == nil {
		r.stateBytes = info.Size()
	}
	if formats > 0 {
		if r.formats, err = b.scrapeFormats(a.metrics, formats); err != nil {
			return memResult{}, err
		}
	}
	r.took = time.Since(started)
	b.logf("sloagent with %s: RSS %.1f MB median, %.1f MB max over %s steady (peak %.1f MB at start), state file %.1f MB (at most %.1f MB of it resident), live heap %.1f MB",
		c, mb(r.rss), mb(r.maxRSS), steady, mb(r.peak), mb(uint64(r.stateBytes)), mb(r.file), mb(r.heap))
	return r, nil
}

// timeScrape GETs /metrics with accept and reads the whole body, as a
// scrape would, returning the time taken, the bytes read and the content
// type served.
func (b *bench) timeScrape(u, accept string, gzip bool) (float64, int, string, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, "", err
	}
	req.Header.Set("Accept", accept)
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept-Encoding", "identity")
	}
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, 0, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return took.Seconds(), int(n), resp.Header.Get("Content-Type"), nil
}
