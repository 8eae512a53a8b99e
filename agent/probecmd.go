package agent

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sloagent/sloagent/agent/schedule"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// probeCmd runs one ad-hoc HTTP probe and prints its result with the phase
// breakdown, like httpstat. It exits 0 when the probe succeeded, 1 when not.
func probeCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("probe", stderr)
	timeout := fs.Duration("timeout", 10*time.Second, "Give up after this long.")
	quiet := fs.Bool("quiet", false, "Print nothing; only the exit code tells the result.")
	cfg := &httpprobe.Config{Headers: httpprobe.Headers{}}
	fs.StringVar(&cfg.Method, "method", "", "HTTP method (default GET).")
	fs.StringVar(&cfg.IPProtocol, "ip-protocol", "", "Preferred IP protocol: ip4 (default) or ip6.")
	fs.BoolVar(&cfg.TLSConfig.InsecureSkipVerify, "insecure", false, "Do not verify the server's certificate.")
	fs.Func("header", "A request header, as 'Name: value' (repeatable).", func(v string) error {
		name, value, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("want 'Name: value', got %q", v)
		}
		cfg.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
		return nil
	})
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: sloagent probe [flags] URL")
		return exitUsage
	}
	target := fs.Arg(0)
	r := conf.NewReport()
	httpprobe.Kind.Validate(target, cfg, r)
	if !r.Empty() {
		for _, p := range r.Problems() {
			fmt.Fprintf(stderr, "sloagent probe: %s\n", p.Msg)
		}
		return exitUsage
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return fail(stderr, "sloagent probe", exitUsage, err)
	}
	prober, err := httpprobe.Kind.Build(probes.Spec{Name: "probe", Target: target, Timeout: *timeout, Section: cfg})
	if err != nil {
		return fail(stderr, "sloagent probe", exitFailed, err)
	}
	out := schedule.NewRunner(1, nil, log).Do(context.Background(),
		schedule.Run{Probe: "probe", Kind: httpprobe.Kind.Name, Prober: prober, Timeout: *timeout, Log: log})
	if !*quiet {
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n", target)
		_ = httpprobe.Format(&b, out.Result)
		_, _ = io.WriteString(stdout, printable(b.String()))
	}
	if !out.Success {
		return exitFailed
	}
	return exitOK
}
