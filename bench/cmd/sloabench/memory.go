package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sloagent/sloagent/bench/internal/proc"
)

// prometheusAccept is what Prometheus 2.x asks a target for.
const prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

// memResult is sloagent's memory with n configured probes, all of which
// have run, and the time to serve /metrics then.
type memResult struct {
	probes      int
	slos        bool
	rss, peak   uint64
	heap        uint64  // live Go heap: what RSS tends to once SLO state is filled
	scrapeGzip  float64 // seconds, as Prometheus asks: OpenMetrics, gzip
	scrapePlain float64 // seconds, text format, uncompressed
	sizeGzip    int
	sizePlain   int
}

// memory runs n probes (with an SLO each if slos) at interval until each
// has run once, then reads the agent's resident memory and times /metrics
// scrapes times over.
func (b *bench) memory(n int, slos bool, interval time.Duration, scrapes int) (memResult, error) {
	l := load{n: n, url: b.target.url, interval: interval, timeout: 5 * time.Second, slos: slos}
	served0, err := b.target.count(b)
	if err != nil {
		return memResult{}, err
	}
	inst, err := b.startAgentLoad(l)
	if err != nil {
		return memResult{}, err
	}
	defer inst.stop()
	// The target's count says when every probe has run, without asking
	// the agent (a scrape is not free at 10,000 probes and SLOs).
	deadline := time.Now().Add(interval + 60*time.Second)
	for {
		time.Sleep(time.Second)
		served, err := b.target.count(b)
		if err != nil {
			return memResult{}, err
		}
		if served-served0 >= uint64(n) {
			break
		}
		if time.Now().After(deadline) {
			return memResult{}, fmt.Errorf("%d probes: only %d requests after %s", n, served-served0, interval+60*time.Second)
		}
	}
	var rss []float64
	var m proc.Memory
	for range 3 {
		time.Sleep(time.Second)
		if m, err = proc.Mem(inst.pid()); err != nil {
			return memResult{}, err
		}
		rss = append(rss, float64(m.RSS))
	}
	r := memResult{probes: n, slos: slos, rss: uint64(medianOf(rss)), peak: m.Peak}
	am, err := b.scrape(inst.metrics)
	if err != nil {
		return memResult{}, err
	}
	r.heap = am.liveHeap
	var gz, plain []float64
	for range scrapes {
		d, size, err := b.timeScrape(inst.metrics, true)
		if err != nil {
			return memResult{}, err
		}
		gz, r.sizeGzip = append(gz, d), size
		d, size, err = b.timeScrape(inst.metrics, false)
		if err != nil {
			return memResult{}, err
		}
		plain, r.sizePlain = append(plain, d), size
	}
	r.scrapeGzip, r.scrapePlain = medianOf(gz), medianOf(plain)
	b.logf("sloagent with %d probes (SLOs %v): RSS %.1f MB (peak %.1f MB, Go heap %.1f MB); /metrics %s gzip (%d kB), %s plain (%d kB)",
		n, slos, mb(r.rss), mb(r.peak), mb(r.heap), ms(r.scrapeGzip), r.sizeGzip/1024, ms(r.scrapePlain), r.sizePlain/1024)
	return r, nil
}

// timeScrape GETs /metrics and reads the whole body, as a scrape would.
func (b *bench) timeScrape(u string, prometheusLike bool) (float64, int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	if prometheusLike {
		req.Header.Set("Accept", prometheusAccept)
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept", "text/plain;version=0.0.4")
		req.Header.Set("Accept-Encoding", "identity")
	}
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return took.Seconds(), int(n), nil
}
