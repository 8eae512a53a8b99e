package gen

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Blackbox returns a Runner that asks blackbox_exporter to probe, as
// Prometheus would: GET probeURL (".../probe?module=...&target=...") over
// kept-alive connections, with the scrape timeout header. timeout is the
// probe's own timeout; blackbox_exporter subtracts its 0.5 s offset from the
// header, so the header says timeout+0.5 s.
//
// blackbox_exporter has no scheduler, so its lag is counted as everything
// that was not the probe: from the planned time to the /probe answer, minus
// the probe_duration_seconds it reported (the generator's dispatch, the
// exporter's queueing and its per-probe registry and rendering).
func Blackbox(probeURL string, timeout time.Duration) Runner {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxIdleConns: 4096}}
	header := strconv.FormatFloat((timeout + 500*time.Millisecond).Seconds(), 'f', 3, 64)
	return func(ctx context.Context, planned time.Time) Outcome {
		// The call may take the exporter's whole timeout plus its
		// overhead; the generator's context ends at timeout.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout+time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(cctx, http.MethodGet, probeURL, nil)
		if err != nil {
			return Outcome{Lag: -1}
		}
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
		resp, err := client.Do(req)
		if err != nil {
			return Outcome{Timeout: true, Lag: -1}
		}
		defer resp.Body.Close()
		m := parseProbe(resp)
		end := time.Now()
		o := Outcome{OK: m.success == 1, Duration: Duration{Total: m.duration, Server: m.server}}
		if !o.OK && m.duration >= timeout.Seconds()*0.95 {
			o.Timeout = true
		}
		o.Lag = max(0, end.Sub(planned)-time.Duration(m.duration*float64(time.Second)))
		return o
	}
}

type probeMetrics struct {
	success, duration, server float64
}

// parseProbe reads the few series the benchmark needs from a /probe answer.
func parseProbe(resp *http.Response) probeMetrics {
	var m probeMetrics
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name, v := line[:i], line[i+1:]
		val, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		switch name {
		case "probe_success":
			m.success = val
		case "probe_duration_seconds":
			m.duration = val
		case `probe_http_duration_seconds{phase="processing"}`, `probe_http_duration_seconds{phase="transfer"}`:
			m.server += val
		}
	}
	return m
}
