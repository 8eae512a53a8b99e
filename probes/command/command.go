// Package command runs Nagios and Monitoring Plugins checks as probes: any
// executable that follows their convention (exit status 0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN; the first output line is the status text, with
// performance data after a '|'). Thousands of existing checks work as they
// are, and their performance data becomes metrics.
package command

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/internal/times"
	"github.com/sloagent/sloagent/probes"
)

// Exit statuses of the plugin convention.
const (
	StatusOK       = 0
	StatusWarning  = 1
	StatusCritical = 2
	StatusUnknown  = 3
)

// maxOutput is the most of a check's stdout (and of its stderr) that is read;
// the rest is discarded so that the check never blocks on a full pipe.
const maxOutput = 64 << 10

// maxMessage bounds the status text kept in the result.
const maxMessage = 512

type prober struct {
	cfg  *Config
	args []string
	env  []string
}

// New returns a prober that runs c's check for target. In args, {{target}}
// and $TARGET stand for the target, {{host}} and {{port}} for its parts when
// it is host:port or a URL.
func New(target string, c *Config) (probes.Prober, error) {
	if c.Path == "" {
		return nil, fmt.Errorf("missing command path")
	}
	p := &prober{cfg: c, args: make([]string, len(c.Args)), env: c.environ(target)}
	rep := replacer(target)
	for i, a := range c.Args {
		p.args[i] = rep.Replace(a)
	}
	return p, nil
}

func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	begin := time.Now()
	run, err := start(p.cfg.Path, p.args, p.env, p.cfg.Dir)
	if err != nil {
		return probes.Fail(probes.ReasonInternal, fmt.Sprintf("cannot run %s: %v", p.cfg.Path, err))
	}
	var timedOut bool
	select {
	case <-run.proc.Done():
	case <-ctx.Done():
		timedOut = true
		run.proc.Kill()
		t := time.NewTimer(killGrace)
		select {
		case <-run.proc.Done():
		case <-t.C:
		}
		t.Stop()
	}
	took := time.Since(begin)
	// The check's tree is gone, so its pipes are at their end unless
	// something out of reach holds them: that may not keep the run
	// past its deadline.
	now := time.Now()
	deadline := now.Add(outputGrace)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	deadline = times.Later(deadline, now.Add(drainGrace))
	stdout, stderr := run.output(deadline)
	out := Parse(string(stdout))
	res := probes.Result{Duration: took, Samples: out.Samples()}
	msg := out.Text
	if msg == "" {
		msg = firstLine(string(stderr))
	}
	if timedOut {
		if log.Enabled(ctx, slog.LevelDebug) {
			log.Debug("check killed", "path", p.cfg.Path, "args", p.args, "stdout", string(stdout), "stderr", string(stderr))
		}
		res.Reason = probes.ReasonTimeout
		if ctx.Err() == context.Canceled {
			res.Reason = probes.ReasonCanceled
		}
		res.Message = fmt.Sprintf("check did not finish within %s; killed it and every process it started", took.Round(time.Millisecond))
		return res
	}
	status, err := run.proc.Wait()
	if log.Enabled(ctx, slog.LevelDebug) {
		log.Debug("check finished", "path", p.cfg.Path, "args", p.args, "status", status.String(),
			"stdout", string(stdout), "stderr", string(stderr))
	}
	if err != nil {
		return probes.Fail(probes.ReasonInternal, fmt.Sprintf("running %s: %v", p.cfg.Path, err))
	}
	if status.Signal != 0 {
		res.Reason = probes.ReasonCheckUnknown
		res.Message = clip.Head(fmt.Sprintf("check ended by %s: %s", status, msg), maxMessage)
		return res
	}
	code := status.Code
	res.Samples = append(res.Samples, probes.Sample{Name: MetricExitCode, Value: float64(code)})
	res.Message = clip.Head(msg, maxMessage)
	switch code {
	case StatusOK:
		res.Success = true
	case StatusWarning:
		res.Success = p.cfg.WarningIsSuccess
		if !res.Success {
			res.Reason = probes.ReasonCheckWarning
		}
	case StatusCritical:
		res.Reason = probes.ReasonCheckCritical
	case StatusUnknown:
		res.Reason = probes.ReasonCheckUnknown
	default:
		res.Reason = probes.ReasonCheckUnknown
		res.Message = clip.Head(fmt.Sprintf("exit status %d is not a plugin status: %s", code, msg), maxMessage)
	}
	if res.Message == "" {
		res.Message = fmt.Sprintf("exit status %d, no output", code)
	}
	return res
}

// replacer substitutes the target into arguments.
func replacer(target string) *strings.Replacer {
	host, port := splitTarget(target)
	return strings.NewReplacer("{{target}}", target, "$TARGET", target, "{{host}}", host, "{{port}}", port)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// environ is the check's whole environment: the agent's own is not passed
// on, so a check sees only what the config gives it.
func (c *Config) environ(target string) []string {
	env := map[string]string{"PATH": DefaultPath, "LC_ALL": "C", "SLOAGENT_TARGET": target}
	for _, k := range c.InheritEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range c.Env {
		env[k] = v.Reveal()
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
