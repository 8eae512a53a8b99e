package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// markdown is the whole results file: what ran where, the table, and how
// each figure is measured.
func (r *results) markdown() string {
	var b strings.Builder
	b.WriteString("# sloagent benchmark results\n\n")
	mode := "full"
	if r.quick {
		mode = "quick (rough numbers, one repetition)"
	}
	if p, _ := partNamed(r.only); p.mode != "" {
		mode = p.mode + ", " + mode
	}
	fmt.Fprintf(&b, "- command: `%s` (%s run, %s, started %s)\n", r.command, mode, r.took.Round(time.Second), r.started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s\n", machine())
	peers := blackboxVersion(r.blackbox)
	for _, s := range r.systems {
		if s.name == sysCloudprober.name {
			peers += ", " + r.cloudprober
		}
	}
	fmt.Fprintf(&b, "- compared: sloagent (revision %s, %s), %s, and a bare `net/http` loop\n", r.revision, runtime.Version(), peers)
	for _, n := range r.notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\n")
	b.WriteString(r.table().Markdown())
	b.WriteString(method)
	b.WriteString(kindsMethod)
	if r.browser != nil {
		b.WriteString(r.browser.markdown())
	}
	return b.String()
}

const method = `
How the figures are measured (all processes on 127.0.0.1 on this one machine):

- The target is bench/cmd/benchtarget: a small Go server answering every GET with a 1 KB body
  written ahead of time, closing the connection, and counting what it served; its count gives
  the rate really achieved. Its own CPU cost is shown in the last row. Every rate
  measurement starts a target of its own on a new port: a port that took tens of thousands
  of connections in the last minute keeps them in TIME_WAIT, and on loopback that makes
  each new connection costlier for the system connecting.
- A rate of R probes/s is R probes at a 1 s interval (timeout 900 ms), each opening a new TCP
  connection. The schedule is sloagent's: each probe at an offset within the interval from a
  hash of its name; the load generator (bench/cmd/benchgen) follows the same schedule for
  blackbox_exporter (GET /probe, kept-alive connections, as Prometheus does) and for the bare
  net/http loop (one goroutine per run, keep-alives off). cloudprober runs the same probes
  (the same names, interval and timeout) on its own scheduler, a new connection per run.
- CPU-seconds per 1,000 probes: utime+stime of the system's own process (/proc/PID/stat) over a
  steady window after a warm-up, divided by the runs finished in it. For blackbox_exporter
  the generator's CPU is not counted. sloagent's and cloudprober's /metrics are read just
  outside the window.
- Peak RSS: VmHWM of the same process at the end of the window.
- Lag: sloagent's sloagent_scheduler_lag_seconds (start of the run minus its planned time);
  the generator's own dispatch lag for the net/http loop; for blackbox_exporter, which has
  no scheduler, the time from the planned start to the /probe answer minus the
  probe_duration_seconds it reported (dispatch, queueing and its per-probe overhead). All
  use the same buckets; p99 is interpolated within a bucket as histogram_quantile does.
  "Late" is lag above 10 ms (sloagent's skipped runs count as late). cloudprober reports no
  lag: n/a.
- Timed out: sloagent's probe_failures_total{reason="timeout"}; a /probe answer with
  probe_success 0 after the timeout for blackbox_exporter; cloudprober's timeouts counter;
  a deadline error for the loop.
- Highest sustained rate: rates doubling from 1,000/s until one fails, then bisected in
  steps of 250/s, each rate judged on a 10 s window after 8 s of warm-up (the first seconds
  after starting thousands of new probes are a start-up transient, not a sustained rate).
  A rate passes if the target served at least 97% of it, no run failed or timed out and at
  most 1% started more than 10 ms late (lag p99 under 10 ms; for cloudprober, which reports
  no lag, only the first two); the full run tries a failing
  rate a second time. The target and the generator share the 2 cores with
  the system under test.
- Duration error: a second target answers 100 ms after a request arrives (it sleeps and
  spins the last millisecond) and logs, for every request, how long it really took from
  accepting the connection to having written the answer: the true duration, which the
  machine's load can stretch (shown in its own row). 20 probes a second run against it:
  100 probes at a 5 s interval, so that the harness's reads of sloagent's and
  cloudprober's /metrics, four times an interval, are rare beside the runs they measure
  (the loop and blackbox_exporter are read only at the end of a turn). Each run is matched
  to its own request (the request that reached the target first within 20 ms of the run's
  start) and its error is the reported duration minus that request's true duration, so the
  target's lateness is not counted as the prober's. "Whole run" is probe_duration_seconds
  (for the loop: the time around the request and body read), so it includes the connection
  set-up on loopback; "processing + transfer" is the sum of those two phases of
  probe_http_duration_seconds (connection ready to body read). For cloudprober, each run's
  latency (client.Do, up to the answer's headers) and its first_byte_latency (connection
  ready to first byte) are the growth of the probe's cumulative sums between two reads of
  /metrics, kept where the probe made exactly one successful run in between; the run's
  start is the series' timestamp (include_timestamp: its scheduled start, to the
  millisecond). The systems take turns (six turns of 10 s each in the full run, two of 6 s
  with --quick), in a rotating order, so that a busy spell of the machine falls on all of
  them alike.
- Duration spread: beside the mean and standard deviation, the 99th percentile of each
  run's reported minus true duration, over all turns.
- Memory: sloagent with N HTTP probes at a 60 s interval (20 s with --quick) against the
  1 KB target, without SLOs, with an SLO per probe (99.9% over a rolling 30 days, default
  burn-rate alerts) from a fresh state directory, and with those SLOs given 30 days of
  history before the start (slo.Store.WriteHistory: the probes' runs, one in a thousand
  failed), so their windows are full. Once every probe has run (the target's count says
  so), the run goes on for 5 minutes (1 with --quick; -steady sets it; -only soak is the
  case with an SLO each, fresh state, at 60 s for an hour) while the harness scrapes
  /metrics every 15 s as Prometheus does (OpenMetrics accepted, gzip) and reads
  /proc/PID/status after each scrape: VmRSS (median over the second half of the run, and
  the highest), and RssFile less what it was when every probe had run (the binary's own
  pages), a bound on how much of the state file is resident. The live Go heap is
  go_memstats_next_gc_bytes halved (GOGC 100), read at the end. Memory per probe is the
  difference between 1,000 and 10,000 probes without SLOs divided by 9,000; per SLO, the
  difference between 10,000 probes with and without SLOs divided by 10,000. With a soak,
  RSS is listed every 5 minutes. cloudprober runs the cases without SLOs the same way (its
  /metrics scraped every 15 s, VmRSS read after each scrape), in its column; per probe,
  its RSS difference alone (it has no Go heap figure here).
- /metrics formats: at 10,000 probes with an SLO each, after that steady run, the median of
  five full reads in each format Prometheus asks for (OpenMetrics 1.0.0, text 0.0.4,
  delimited protobuf), each gzip-compressed and not, the formats taking turns after one
  untimed read each; "served as" is the Content-Type the agent answered with. The first
  read in a minute also computes every SLO's windows, which later reads in the minute
  reuse (go test -bench WriteText ./slo measures both cases).
- Start-up and reload: 10,000 probes at a 60 s interval (2,000 at 20 s with --quick), each
  asking for a path of its own from a target that logs every request. Counted from the
  moment the agent is started, and from the moment it is sent SIGHUP with the same config:
  the requests served in one interval, the most in any one second of it, and the probes
  that ran twice within half their interval. An even start serves one request per probe,
  interval/N apart. cloudprober is counted the same way after its start, with the same
  probes and paths (it has no signal to reload its config: SIGHUP ends it). blackbox_exporter
  has no schedule of its own (Prometheus' scrapes drive it), so it has no figure here.
`

func machine() string {
	model, cores := "unknown CPU", runtime.NumCPU()
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	var memTotal string
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				var kb int
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:")), "%d", &kb)
				memTotal = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%s, %d cores%s, Linux %s", model, cores, memTotal, strings.TrimSpace(string(kernel)))
}

func blackboxVersion(path string) string {
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		return "blackbox_exporter"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if i := strings.Index(first, "("); i > 0 {
		first = strings.TrimSpace(first[:i])
	}
	return strings.Replace(first, ", version", "", 1) + " (Debian)"
}
