package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/gen"
	"github.com/sloagent/sloagent/bench/internal/lag"
	"github.com/sloagent/sloagent/bench/internal/sched"
)

// cloudproberInstance is cloudprober running a generated config: its own
// scheduler runs the probes; its Prometheus surfacer's /metrics has each
// probe's cumulative runs, successes, timeouts and latency.
type cloudproberInstance struct {
	*child
	metrics string
	b       *bench
}

func (b *bench) startCloudprober(l load) (instance, error) {
	c, addr, err := b.startServer("cloudprober", "/metrics", func(addr string) ([]string, error) {
		conf, err := cloudproberConfig(l, addr)
		if err != nil {
			return nil, err
		}
		file, err := b.writeWork("cloudprober.cfg", conf)
		// Warnings and errors only, as the other systems log; its
		// system metrics are left on, as users run it.
		return []string{b.cloudprober, "--config_file=" + file, "--min_log_level=WARNING", "--disable_cloud_logging"}, err
	})
	if err != nil {
		return nil, err
	}
	return &cloudproberInstance{child: c, metrics: "http://" + addr + "/metrics", b: b}, nil
}

// cloudproberConfig is n HTTP probes of l.url with the benchmark's probe
// names, the interval and timeout of the load, served on addr.
//
// Its stats are exported after every run (stats_export_interval equal to
// the interval; the default is the larger of the interval and 10 s), so
// that a measurement window of a few seconds sees the runs made in it.
// With record, each probe also reports the time from having the
// connection to the answer's first byte (latency_breakdown), which is
// compared with sloagent's processing + transfer, and the series carry
// timestamps.
func cloudproberConfig(l load, addr string) (string, error) {
	u, err := url.Parse(l.url)
	if err != nil {
		return "", err
	}
	host, port, ok := strings.Cut(u.Host, ":")
	if !ok || host != "127.0.0.1" {
		return "", fmt.Errorf("cloudprober is only run against 127.0.0.1 with a port, not %q", u.Host)
	}
	lhost, lport, _ := strings.Cut(addr, ":")
	var sb strings.Builder
	// stop_time_sec 0: it exits when told to, as the others do, instead
	// of waiting 5 s.
	surfacer := ""
	if l.record {
		// Each series then carries the time of the run it is from (the
		// run's scheduled start), which finds the run's request.
		surfacer = "\n  prometheus_surfacer { include_timestamp: true }"
	}
	fmt.Fprintf(&sb, "host: %q\nport: %s\nstop_time_sec: 0\nsurfacer {\n  type: PROMETHEUS%s\n}\n", lhost, lport, surfacer)
	for i := range l.n {
		path := u.Path
		if l.paths {
			path += sched.Name(i)
		}
		fmt.Fprintf(&sb, `probe {
  name: %q
  type: HTTP
  targets { host_names: %q }
  ip_version: IPV4
  interval_msec: %d
  timeout_msec: %d
  stats_export_interval_msec: %d
  http_probe {
    port: %s
    relative_url: %q
`, sched.Name(i), host, l.interval.Milliseconds(), l.timeout.Milliseconds(), l.interval.Milliseconds(), port, path)
		if l.record {
			sb.WriteString("    latency_breakdown: [ FIRST_BYTE_LATENCY ]\n")
		}
		sb.WriteString("  }\n}\n")
	}
	return sb.String(), nil
}

// cloudproberRun is a probe's cumulative figures, latencies in
// microseconds (its default latency unit).
type cloudproberRun struct {
	total, success, timeouts float64
	latency, firstByte       float64
	at                       int64 // the latency series' timestamp (Unix ms), where written
}

// read scrapes cloudprober's /metrics: each probe's cumulative figures.
func (c *cloudproberInstance) read() (map[string]cloudproberRun, error) {
	resp, err := c.b.client.Get(c.metrics)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", c.metrics, resp.Status)
	}
	return parseCloudprober(resp.Body)
}

// parseCloudprober reads the series of the HTTP probes from cloudprober's
// text exposition, one line a series (name{labels} value [timestamp]).
func parseCloudprober(r io.Reader) (map[string]cloudproberRun, error) {
	out := map[string]cloudproberRun{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		labels, rest, ok := strings.Cut(rest, "}")
		if !ok || !strings.Contains(labels, `ptype="http"`) {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("cloudprober's /metrics: %q: %v", line, err)
		}
		probe := labelValue(labels, "probe")
		r := out[probe]
		switch name {
		case "total":
			r.total = v
		case "success":
			r.success = v
		case "timeouts":
			r.timeouts = v
		case "latency":
			r.latency = v
			if len(fields) > 1 {
				r.at, _ = strconv.ParseInt(fields[1], 10, 64)
			}
		case "first_byte_latency":
			r.firstByte = v
		default:
			continue
		}
		out[probe] = r
	}
	return out, sc.Err()
}

// labelValue is the value of name in a label set written as
// a="x",b="y"; the benchmark's values hold no quotes or commas.
func labelValue(labels, name string) string {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func (c *cloudproberInstance) metricsURL() string { return c.metrics }

// counts has no lag: cloudprober reports none.
func (c *cloudproberInstance) counts() (counts, error) {
	runs, err := c.read()
	if err != nil {
		return counts{}, err
	}
	n := counts{lag: lag.New(), noLag: true}
	for _, r := range runs {
		n.runs += uint64(r.total)
		n.failures += uint64(r.total - r.success)
		n.timeouts += uint64(r.timeouts)
	}
	return n, nil
}

// durations polls /metrics faster than the interval for window and keeps
// every run a probe made alone between two readings: its latency is the
// growth of the probe's latency sum. Readings where a probe made two runs
// or none give no duration.
func (c *cloudproberInstance) durations(window, interval time.Duration) ([]gen.Duration, error) {
	var runs []gen.Duration
	last, err := c.read()
	if err != nil {
		return nil, err
	}
	for end := time.Now().Add(window); time.Now().Before(end); {
		time.Sleep(interval / 4)
		now, err := c.read()
		if err != nil {
			return nil, err
		}
		for p, r := range now {
			o := last[p]
			if r.total-o.total == 1 && r.success-o.success == 1 {
				// The series' timestamp is the run's scheduled start,
				// to the millisecond: at or just before it began.
				d := gen.Duration{Total: (r.latency - o.latency) / 1e6, Start: r.at * 1e6}
				if fb := r.firstByte - o.firstByte; fb > 0 {
					d.Server = fb / 1e6
				}
				runs = append(runs, d)
			}
		}
		last = now
	}
	return runs, nil
}
