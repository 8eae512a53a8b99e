// Command sloabench compares sloagent with blackbox_exporter, cloudprober
// and a bare net/http loop on this machine, in one run: CPU per 1,000 probes, peak
// memory, late and timed-out runs at fixed rates, the highest sustained
// rate, timing accuracy, memory with many probes and the time to serve
// /metrics. It prints one table and writes it to a file. bench/run builds
// the binaries and calls it.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sloagent/sloagent/bench/internal/listen"
)

// bench is one benchmark run: where the binaries are, the targets, and
// the work directory holding configs and the systems' logs.
type bench struct {
	binDir   string
	blackbox string
	work     string
	client   *http.Client
	log      io.Writer
	target   *target // answers at once
	slow     *target // answers after trueDelay
	// browserBaseline holds another revision's sloagent to measure the
	// browser figure against, in the same sitting.
	browserBaseline string
	// cloudprober is its binary, empty when it is not compared;
	// cloudproberVersion is the module version it was built from.
	cloudprober, cloudproberVersion string
	notes                           []string // what is not compared, and why
}

type target struct {
	*child
	base, url string
}

// plan is how long and how often each part runs.
type plan struct {
	reps                    int
	warm, window            time.Duration
	accuracyProbes          int
	accuracyWindow          time.Duration // each system's, over all its turns
	accuracyTurns           int
	memInterval             time.Duration // the probes' interval in the memory runs
	memSteady               time.Duration // how long each memory run goes on once every probe ran
	scrapeEvery             time.Duration // a memory run's scrape interval, as Prometheus scrapes
	scrapes                 int           // timed scrapes per format
	herdProbes              int
	herdInterval            time.Duration
	searchLimit, bisect     int
	retry                   bool
	searchWarm, searchWindw time.Duration
}

var (
	// The rate search warms up for 8 s: started with thousands of new
	// probes, a system's first seconds (its heap growing from nothing,
	// goroutines and connections being set up) are not what it sustains.
	fullPlan = plan{reps: 3, warm: 4 * time.Second, window: 15 * time.Second, accuracyProbes: 20, accuracyWindow: time.Minute, accuracyTurns: 6,
		memInterval: time.Minute, memSteady: 5 * time.Minute, scrapeEvery: 15 * time.Second, scrapes: 5,
		herdProbes: 10000, herdInterval: time.Minute,
		searchLimit: 16000, bisect: 2, retry: true, searchWarm: 8 * time.Second, searchWindw: 10 * time.Second}
	quickPlan = plan{reps: 1, warm: 2 * time.Second, window: 5 * time.Second, accuracyProbes: 20, accuracyWindow: 12 * time.Second, accuracyTurns: 2,
		memInterval: 20 * time.Second, memSteady: time.Minute, scrapeEvery: 15 * time.Second, scrapes: 3,
		herdProbes: 2000, herdInterval: 20 * time.Second,
		searchLimit: 8000, bisect: 1, retry: false, searchWarm: 5 * time.Second, searchWindw: 5 * time.Second}
)

func main() {
	fs := flag.NewFlagSet("sloabench", flag.ExitOnError)
	b := &bench{log: os.Stderr, client: &http.Client{Timeout: 60 * time.Second}}
	fs.StringVar(&b.binDir, "bin", "", "Directory holding the sloagent, benchtarget and benchgen binaries.")
	fs.StringVar(&b.blackbox, "blackbox", "/usr/bin/prometheus-blackbox-exporter", "blackbox_exporter binary.")
	fs.StringVar(&b.work, "work", "", "Work directory for configs and logs (default: a new temporary one).")
	quick := fs.Bool("quick", false, "A short run (about 4 minutes) for trying the harness; numbers are rough.")
	out := fs.String("out", "bench/results/latest.md", "File to write the results table to.")
	command := fs.String("command", "bench/run", "The command line to print in the results.")
	revision := fs.String("revision", "unknown", "The revision of sloagent measured, to print in the results.")
	only := fs.String("only", "", onlyHelp())
	steady := fs.Duration("steady", 0, "How long each memory run goes on once every probe has run (default 5m, 1m with -quick, 1h with -only soak).")
	cloudprober := fs.String("cloudprober", "", `cloudprober binary to compare (default: `+cloudproberModule+"@"+cloudproberVersion+` built from the Go module proxy and kept in the user's cache directory); "none" leaves it out.`)
	fs.StringVar(&b.cloudproberVersion, "cloudprober-version", "", "The module version the -cloudprober binary was built from, for the results.")
	fs.StringVar(&b.browserBaseline, "browser-baseline", "", "Directory holding another revision's sloagent binary (and a REVISION file) to measure the browser figure against, taking turns.")
	_ = fs.Parse(os.Args[1:])
	pt, ok := partNamed(*only)
	if !ok {
		fmt.Fprintf(os.Stderr, "sloabench: unknown -only %q (use %s)\n", *only, partNames())
		os.Exit(2)
	}
	if b.binDir == "" {
		fmt.Fprintln(os.Stderr, "sloabench: -bin is required (bench/run sets it)")
		os.Exit(2)
	}
	p := fullPlan
	if *quick {
		p = quickPlan
	}
	if *only == "soak" {
		p.memSteady = time.Hour
	}
	if *steady > 0 {
		p.memSteady = *steady
	}
	if pt.cloudprober {
		if code, done := b.withCloudprober(*cloudprober, os.Args[1:]); done {
			os.Exit(code)
		}
	}
	if *only == "browser" {
		bp := browserFull
		if *quick {
			bp = browserQuick
		}
		if err := b.runBrowser(bp, *quick, *out, *command, *revision); err != nil {
			fmt.Fprintln(os.Stderr, "sloabench:", err)
			os.Exit(1)
		}
		return
	}
	if err := b.run(p, pt, *quick, *out, *command, *revision); err != nil {
		fmt.Fprintln(os.Stderr, "sloabench:", err)
		os.Exit(1)
	}
}

func (b *bench) run(p plan, pt part, quick bool, out, command, revision string) error {
	if err := b.makeWork(); err != nil {
		return err
	}
	var err error
	if b.target, err = b.startTarget("target", 0); err != nil {
		return err
	}
	defer b.target.stop()
	if b.slow, err = b.startTargetArgs("target-slow", "-delay", trueDelay.String(), "-log"); err != nil {
		return err
	}
	defer b.slow.stop()

	started := time.Now()
	res, err := b.measureAll(p, pt)
	if err != nil {
		return err
	}
	res.took = time.Since(started)
	res.quick, res.command, res.started, res.blackbox, res.revision = quick, command, started, b.blackbox, revision
	return b.writeResults(res.markdown(), out)
}

// makeWork makes the work directory unless -work named one.
func (b *bench) makeWork() error {
	if b.work == "" {
		dir, err := os.MkdirTemp("", "sloabench-")
		if err != nil {
			return err
		}
		b.work = dir
	}
	b.logf("work directory %s", b.work)
	return nil
}

// writeResults prints the results and writes them to out, if named.
func (b *bench) writeResults(md, out string) error {
	fmt.Print(md)
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return err
	}
	b.logf("wrote %s", out)
	return nil
}

// withCloudprober readies cloudprober for the parts that compare it: builds
// it (or takes the binary given) and makes sure this run is in a network
// namespace with only loopback, running sloabench again inside a new one
// if need be; done is true when that run has finished with exit code. When
// cloudprober cannot be compared, the run goes on without it and the
// results say why.
func (b *bench) withCloudprober(path string, args []string) (code int, done bool) {
	skip := func(why string, args ...any) (int, bool) {
		note := "cloudprober is not compared: " + fmt.Sprintf(why, args...)
		b.logf("%s", note)
		b.notes = append(b.notes, note)
		return 0, false
	}
	if path == "none" {
		return skip("-cloudprober none")
	}
	if os.Getenv(netnsEnv) != "" {
		if err := loopbackUp(); err != nil {
			return skip("%v", err)
		}
	} else if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return skip("no cache directory to build it in: %v", err)
		}
		if path, err = buildCloudprober(cloudproberVersion, filepath.Join(cache, "sloagent-bench"), b.logf); err != nil {
			return skip("building %s@%s: %v", cloudproberModule, cloudproberVersion, err)
		}
		b.cloudproberVersion = cloudproberVersion
	}
	only, err := loopbackOnly()
	if err != nil {
		return skip("reading the network interfaces: %v", err)
	}
	if only {
		b.cloudprober = path
		return 0, false
	}
	if os.Getenv(netnsEnv) != "" {
		return skip("the network namespace made for it has interfaces besides loopback")
	}
	// Everything compared runs in the one namespace: the targets, the
	// generators and each system reach each other on its loopback, and
	// nothing reaches beyond it.
	b.logf("running again in a network namespace with only loopback, for cloudprober")
	code, err = inNewNetns(append(args, "-cloudprober", path, "-cloudprober-version", b.cloudproberVersion))
	if err != nil {
		return skip("%v", err)
	}
	return code, true
}

func (b *bench) startTarget(name string, delay time.Duration) (*target, error) {
	return b.startTargetArgs(name, "-delay", delay.String())
}

// startTargetArgs starts a benchtarget with more flags.
func (b *bench) startTargetArgs(name string, args ...string) (*target, error) {
	c, addrs, err := b.startAnnounced(name, 1, append([]string{b.bin("benchtarget"), "-listen", "127.0.0.1:0"}, args...)...)
	if err != nil {
		return nil, err
	}
	base := "http://" + addrs[0]
	return &target{child: c, base: base, url: base + "/"}, nil
}

// startAnnounced starts one of the benchmark's own servers and reads the
// n addresses it says it listens on (bench/internal/listen).
func (b *bench) startAnnounced(name string, n int, args ...string) (*child, []string, error) {
	c, err := b.start(name, args...)
	if err != nil {
		return nil, nil, err
	}
	line, err := c.readLine(10 * time.Second)
	if err != nil {
		c.stop()
		return nil, nil, err
	}
	addrs, err := listen.Parse(line, n)
	if err != nil {
		c.stop()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, addrs, nil
}

func (b *bench) bin(name string) string { return filepath.Join(b.binDir, name) }

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
