package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/agent/push"
	"github.com/sloagent/sloagent/agent/schedule"
	"github.com/sloagent/sloagent/agent/service"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins"
	"github.com/sloagent/sloagent/probes/browser"
)

// DefaultListenAddress is where the agent serves unless told otherwise.
const DefaultListenAddress = ":9470"

// Exit codes of the command line.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// Main runs the command line with args (without the program name) and
// returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runCmd(args, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sloagent: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// command is one subcommand: the name that selects it, what runs it, and
// the lines the short usage and --help list it with.
type command struct {
	name  string
	run   func(args []string, stdout, stderr io.Writer) int
	usage []synopsis // the short usage's lines, after "sloagent "
	help  []synopsis // --help's entries under Commands
}

// synopsis is one way to call a command and what it does.
type synopsis struct{ args, what string }

// commands are the subcommands in the order usage and --help list them. A
// function rather than a table: help runs the agent's flag parsing, whose
// --help lists them.
func commands() []command {
	return []command{
		{"check-config", checkConfigCmd,
			[]synopsis{{"check-config FILE...", "validate config files"}},
			[]synopsis{{"check-config <file>...", "Validate config files; exit 1 with every problem."}}},
		{"probe", probeCmd,
			[]synopsis{{"probe [flags] URL", "run one HTTP probe and print its phases"}},
			[]synopsis{{"probe [<flags>] <url>", "Run one HTTP probe and print its phases; exit 0 or 1."}}},
		{"once", onceCmd,
			[]synopsis{{"once [flags] [PROBE...]", "run the probes once, push the results, exit 0 if all passed"}},
			[]synopsis{{"once [<flags>] [<probe>...]", "Run the probes once, print a summary and push it; exit 0 if all passed."}}},
		{"rules", rulesCmd,
			[]synopsis{{"rules [flags]", "print Prometheus rules for the config's SLOs"}},
			[]synopsis{{"rules [<flags>]", "Print Prometheus recording and alerting rules for the config's SLOs."}}},
		{"review", reviewCmd,
			[]synopsis{
				{"review INCIDENT", "print the draft of an incident's live-site review (Markdown)"},
				{"review --since=7d", "print the report of the period for the operations review"},
			},
			[]synopsis{
				{"review [--agent.url=URL] <incident>", "Print the Markdown draft of an incident's live-site review, as the running agent writes it."},
				{"review [--agent.url=URL] --since=<period>", "Print the report of the period (7d, 24h, 30d) for the operations review."},
			}},
		{"slo", sloCmd,
			[]synopsis{{"slo import|export ...", "convert SLOs from and to OpenSLO (and import sloth's specs)"}},
			[]synopsis{
				{"slo import [--output=FILE] <file>...", "Read OpenSLO v1 documents or sloth specs and print them as a slos: list, naming what does not carry over."},
				{"slo export --format=openslo --config.file=FILE", "Print the config's SLOs as OpenSLO v1 documents."},
			}},
		{"service", service.Command,
			[]synopsis{{"service install|uninstall|start|stop|status [--name=N] [-- FLAGS]", "run as a Windows service"}},
			[]synopsis{{"service install|uninstall|start|stop|status [--name=N] [-- <flags>]", "Run as a Windows service."}}},
		{"version", versionCmd,
			[]synopsis{{"version", "print the version"}},
			[]synopsis{{"version", "Print the version."}}},
		{"help", helpCmd,
			nil,
			[]synopsis{{"help", "Show this help."}}},
	}
}

func versionCmd(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, versionString())
	return exitOK
}

func helpCmd(_ []string, stdout, stderr io.Writer) int {
	return runCmd([]string{"--help"}, stdout, stderr)
}

// usage writes the short usage: a line for each way to call the command,
// its synopsis in a column, or on a line of its own when the line would
// be too long.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sloagent [flags]                 run the agent (see sloagent --help)")
	for _, c := range commands() {
		for _, s := range c.usage {
			line := fmt.Sprintf("       %-31s %s", "sloagent "+s.args, s.what)
			if len(line) > helpWidth {
				line = fmt.Sprintf("       %s\n%39s%s", "sloagent "+s.args, "", s.what)
			}
			fmt.Fprintln(w, line)
		}
	}
}

// about is the description --help starts with.
const about = "A synthetic monitoring and SLO agent: it runs probes (HTTP, browser, TCP, DNS, ICMP, gRPC, multi-step API, checks and plugins) on a schedule, keeps SLO error budgets and burn rates, and serves it all as Prometheus metrics."

func versionString() string {
	rev, gov := buildRevision()
	return fmt.Sprintf("sloagent %s (revision %s, built %s, %s, %s/%s)", Version, rev, buildDate(), gov, runtime.GOOS, runtime.GOARCH)
}

// newFlagSet is the flag set of a command: a bad flag is an error the
// command returns, written on stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// fail ends a command that cannot go on: it writes the error line on
// stderr, the command's name and a colon before msg spaced as fmt.Println
// spaces it ("sloagent once: --config.file is required"), and returns the
// exit code.
func fail(stderr io.Writer, cmd string, code int, msg ...any) int {
	fmt.Fprintln(stderr, append([]any{cmd + ":"}, msg...)...)
	return code
}

// logFlags are the logging flags every subcommand takes.
type logFlags struct {
	level, format string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.level, "log.level", "info", "Only log messages at this level or above: debug, info, warn, error.")
	fs.StringVar(&l.format, "log.format", "logfmt", "Log format: logfmt or json.")
}

func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log.level: %q is not one of debug, info, warn, error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "logfmt":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log.format: %q is not logfmt or json", l.format)
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sloagent", stderr)
	var opts Options
	var lf logFlags
	fs.StringVar(&opts.ConfigFile, "config.file", "", "Config to run: a file, a directory (its *.yml and *.yaml files) or a glob, whose files are merged. Empty runs the embedded default config, which probes the agent itself.")
	fs.StringVar(&opts.ListenAddress, "web.listen-address", DefaultListenAddress, "Address to serve metrics, the status page and the API on.")
	fs.StringVar(&opts.StateDir, "storage.path", "", "Directory for SLO state and failure diagnostics; overrides agent.state_dir of the config.")
	fs.IntVar(&opts.MaxConnections, "web.max-connections", DefaultMaxConnections, "Most connections the web server keeps open; no more than a quarter of the open file limit, which is kept for probes.")
	fs.BoolVar(&opts.EnableLifecycle, "web.enable-lifecycle", false, "Serve POST /-/reload. SIGHUP reloads the config either way.")
	fs.StringVar(&opts.WebConfigFile, "web.config.file", "", "Path to a web config file enabling TLS and/or basic auth (Prometheus exporter-toolkit format).")
	fs.StringVar(&opts.ExternalURL, "web.external-url", "", "URL the agent is reached at by people (http://probe-fra-1:9470/), for links to incidents in alerts. Default: its listen address.")
	shard := fs.String("shard", "", "Run only this agent's part i/N of the probes (by a stable hash of their names); N agents with 0/N ... N-1/N share the list. auto or auto/N: i is the ordinal of a StatefulSet pod's host name NAME-i, N is $SLOAGENT_SHARDS unless given.")
	lf.register(fs)
	showVersion := fs.Bool("version", false, "Show application version.")
	if done, code := parseFlags(fs, args, stdout, stderr, about); done {
		return code
	}
	if *showVersion {
		fmt.Fprintln(stdout, versionString())
		return exitOK
	}
	if fs.NArg() > 0 {
		return fail(stderr, "sloagent", exitUsage, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	var err error
	if opts.Shard, err = schedule.ResolveShard(*shard, os.Getenv, os.Hostname); err != nil {
		return fail(stderr, "sloagent", exitUsage, err)
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return fail(stderr, "sloagent", exitUsage, err)
	}
	opts.Logger = log
	if from, to := setProcs(); to != from {
		log.Debug("raised GOMAXPROCS so that the garbage collector marks on a worker of its own", "from", from, "to", to)
	}
	if isSvc, _ := service.IsService(); isSvc {
		return runService(opts)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Serve(ctx, opts); err != nil {
		log.Error("sloagent stopped", "err", err)
		return exitFailed
	}
	return exitOK
}

// runService runs the agent under the Windows service manager, logging to
// the event log under the service's name.
func runService(opts Options) int {
	name, err := service.CurrentName()
	if err != nil {
		name = service.DefaultName
	}
	if h, c, err := service.NewEventLogHandler(name, nil); err == nil {
		defer c.Close()
		opts.Logger = slog.New(h)
	}
	if err := service.Run(name, func(ctx context.Context) error { return Serve(ctx, opts) }); err != nil {
		opts.Logger.Error("sloagent stopped", "err", err)
		return exitFailed
	}
	return exitOK
}

// Serve runs the agent until ctx is done: it listens, loads the config,
// serves HTTP and runs probes, reloading on SIGHUP and POST /-/reload.
func Serve(ctx context.Context, opts Options) error {
	log := opts.Logger
	// From the start: SIGHUP's default is to end the process, and a
	// reload asked for while the agent starts comes after the first load.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if opts.WebConfigFile != "" {
		if err := web.Validate(opts.WebConfigFile); err != nil {
			return fmt.Errorf("--web.config.file: %w", err)
		}
	}
	ln, err := net.Listen("tcp", opts.ListenAddress)
	if err != nil {
		return err
	}
	a := New(opts)
	log = a.log // which hides the config's secrets
	a.webAddr.Store(reachable(ln.Addr().String()))
	if err := a.Reload(); err != nil {
		ln.Close()
		return fmt.Errorf("cannot start: %w", err)
	}

	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	guard := newConnGuard(webConnLimit(opts.MaxConnections), a.self)
	srv := newWebServer(a.Handler(), guard)
	flags := &web.FlagConfig{
		WebListenAddresses: &[]string{opts.ListenAddress},
		WebSystemdSocket:   new(bool),
		WebConfigFile:      &opts.WebConfigFile,
	}
	served := make(chan error, 1)
	go func() { served <- web.Serve(guard.listener(ln), srv, flags, log) }()
	// Ready before the line that says so: whoever waits for it (a test, a
	// supervisor reading the log) may ask /-/ready at once.
	a.ready.Store(true)
	log.Info("sloagent started", "version", Version, "address", ln.Addr().String(), "shard", opts.Shard, "max_connections", guard.max)
	loop := &push.Loop{Current: a.pushConfig, Gather: a.Gatherer().Gather, Now: a.now, Log: log, Metrics: &a.self.push}
	defer loop.Start(ctx)()

	// Reloads run beside this loop, so that a config that takes long to
	// read or parse never keeps SIGTERM waiting; SIGHUPs that come during
	// one make a single reload after it.
	go func() {
		for {
			select {
			case <-hup:
				_ = a.Reload() // logged; the running config stays
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case err := <-served:
			a.Shutdown(context.Background())
			return fmt.Errorf("http server: %w", err)
		case <-ctx.Done():
			log.Info("shutting down")
			shutdownServer(srv)
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			a.Shutdown(sctx)
			cancel()
			return nil
		}
	}
}

func checkConfigCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check-config", stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: sloagent check-config FILE|DIR|GLOB...")
		return exitUsage
	}
	code := exitOK
	for _, file := range fs.Args() {
		cfg, err := config.LoadFileFor(config.ToCheck, file, toolEnv)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			code = exitFailed
			continue
		}
		for _, w := range cfg.Warnings() {
			fmt.Fprintln(stderr, w)
		}
		failed := false
		if err := check(cfg); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			failed = true
		}
		if err := checkPlugins(cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			failed = true
		}
		if failed {
			code = exitFailed
			continue
		}
		if n := len(cfg.Discovery); n > 0 {
			fmt.Fprintf(stdout, "%s: OK, %s, %s\n", file, count(len(cfg.Probes), "probe"), count(n, "discovery template"))
			continue
		}
		fmt.Fprintf(stdout, "%s: OK, %s\n", file, count(len(cfg.Probes), "probe"))
	}
	return code
}

// count says n things, in the singular for one.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// WebAddressVar is the variable a config names the agent's own address with
// (host:port, as the agent itself can reach it), as the embedded default
// config does to probe the agent.
const WebAddressVar = "SLOAGENT_WEB_ADDRESS"

// toolEnv resolves ${VAR} for the commands that serve nothing (check-config,
// rules, once): from the environment and, for WebAddressVar, which only the
// daemon knows, the address of a daemon on the default listen address.
func toolEnv(name string) (string, bool) {
	if v, ok := os.LookupEnv(name); ok {
		return v, true
	}
	if name == WebAddressVar {
		return reachable(DefaultListenAddress), true
	}
	return "", false
}

// checkPlugins starts the config's plugins once, as the agent would, and
// reports with file and line what they refuse: a binary whose sha256
// differs, a start that fails, probe settings and targets the plugin
// rejects. The plugins' own log lines go to w.
func checkPlugins(cfg *config.Config, w io.Writer) error {
	if len(cfg.Plugins) == 0 {
		return nil
	}
	r := conf.NewReport()
	var ps []plugins.CheckedProbe
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		if pc, ok := p.Section.(*plugins.ProbeConfig); ok {
			ps = append(ps, plugins.CheckedProbe{Name: p.Name, Target: p.Target.Reveal(), Section: pc, Report: r.Index("probes", i)})
		}
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	plugins.Check(context.Background(), cfg.Plugins, r.At("plugins"), ps, log)
	return cfg.Problems(r)
}

// check builds every probe of cfg, as loading would, and releases them: it
// finds what validation cannot, such as an unreadable CA file or a browser
// that does not start. Each kind says what checking it means (plugins are
// started by the agent, not here).
func check(cfg *config.Config) error {
	var errs []error
	shared := map[string]any{}
	if usesBrowser(cfg) {
		if err := browser.Check(cfg.Browser); err != nil {
			errs = append(errs, fmt.Errorf("browser: %w", err))
		}
		br := browser.NewBrowser(cfg.Browser, "", nil)
		defer br.Close()
		shared[browser.Kind.Name] = br
	}
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		if err := p.KindOf().Check(p.Spec(shared[p.Kind])); err != nil {
			errs = append(errs, fmt.Errorf("probe %q: %w", p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// parseInterleaved parses args with flags anywhere among the positional
// arguments (`once web --output=json api`), which it returns in order; after
// "--" everything is positional. The flag package alone stops at the first
// positional argument and would take the flags after it for probe names.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
