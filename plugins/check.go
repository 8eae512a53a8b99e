package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// CheckedProbe is a probe of kind plugin for Check: its target, its plugin
// section and the report its problems go to, with fields relative to the
// probe (target, plugin.settings.KEY).
type CheckedProbe struct {
	Name    string
	Target  string
	Section *ProbeConfig
	Report  conf.Report
}

// Check finds what starting the plugins and running the probes would, for
// `sloagent check-config`: a binary whose sha256 differs from the
// configured one, a plugin that does not start or answer Describe
// (reported on its entry of the plugins list, through list), and probe
// settings the plugin rejects: names Describe does not list, required ones
// missing, and whatever the plugin's Validate says (plugins without
// Validate, such as those built before it, are checked against Describe
// only). What Config.Validate reports (a missing or non-executable binary)
// is not repeated. Each plugin is started once, with its start_timeout,
// and stopped before Check returns; its log lines go to log.
func Check(ctx context.Context, cs []Config, list conf.Report, ps []CheckedProbe, log *slog.Logger) {
	procs := make([]*proc, len(cs))
	startErrs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i := range cs {
		c := cs[i]
		c.Defaults()
		if checkExecutable(c.Command) != nil {
			continue // Validate reported it
		}
		if c.SHA256 != "" {
			if got := fileSHA256(c.Command); !strings.EqualFold(got, c.SHA256) {
				list.Index("", i).Errorf("sha256", "%s has sha256 %s, not the configured one: the agent would refuse to start it", c.Command, got)
				continue
			}
		}
		wg.Go(func() { procs[i], startErrs[i] = start(ctx, &c, log.With("plugin", c.Name)) })
	}
	wg.Wait()
	for i, err := range startErrs {
		if err != nil {
			list.Index("", i).Errorf("command", "%v", err)
		}
	}
	defer func() {
		for _, p := range procs {
			if p != nil {
				p.kill()
			}
		}
	}()

	// Problems go into the reports one at a time: a Report is a shared list.
	var mu sync.Mutex
	for _, pr := range ps {
		i := slices.IndexFunc(cs, func(c Config) bool { return c.Name == pr.Section.Name })
		if i < 0 || procs[i] == nil {
			continue // an undeclared plugin is Validate's, a failed start the plugin's problem
		}
		wg.Go(func() {
			problems := checkProbe(ctx, procs[i], &cs[i], pr)
			mu.Lock()
			defer mu.Unlock()
			for _, p := range problems {
				pr.Report.Errorf(p.field, "%s", p.msg)
			}
		})
	}
	wg.Wait()
}

type fieldProblem struct{ field, msg string }

// checkProbe asks p about one probe.
func checkProbe(ctx context.Context, p *proc, c *Config, pr CheckedProbe) []fieldProblem {
	var out []fieldProblem
	if declared := p.info.GetSettings(); len(declared) > 0 {
		var names []string
		for _, s := range declared {
			names = append(names, s.GetName())
			if _, ok := pr.Section.Settings[s.GetName()]; s.GetRequired() && !ok {
				out = append(out, fieldProblem{"plugin.settings", fmt.Sprintf("plugin %q requires the setting %q", c.Name, clip.Head(s.GetName(), 64))})
			}
		}
		var keys []string
		for k := range pr.Section.Settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(names, k) {
				out = append(out, fieldProblem{"plugin.settings." + k,
					fmt.Sprintf("plugin %q has no setting %q (it has %s)", c.Name, k, clip.Head(strings.Join(names, ", "), maxMessage))})
			}
		}
	}
	settings, err := settingsJSON(pr.Section.Settings)
	if err != nil {
		return out // Validate reported it
	}
	vctx, cancel := context.WithTimeout(ctx, c.StartTimeout.D())
	defer cancel()
	resp, err := p.rpc.Validate(vctx, &pluginv1.ValidateRequest{Target: pr.Target, SettingsJson: settings, Probe: pr.Name})
	switch {
	case status.Code(err) == codes.Unimplemented:
		return out // a plugin from before Validate
	case err != nil:
		return append(out, fieldProblem{"plugin", fmt.Sprintf("plugin %q could not check the probe: %s", c.Name, clip.Head(err.Error(), maxMessage))})
	}
	described := len(out)
	for _, vp := range resp.GetProblems() {
		field := "plugin.settings"
		switch {
		case vp.GetTarget():
			field = "target"
		case vp.GetSetting() != "":
			field += "." + vp.GetSetting()
		}
		// The plugin's own word on a setting Describe already ruled out
		// (an unknown one) says the same again.
		if slices.ContainsFunc(out[:described], func(p fieldProblem) bool { return p.field == field }) {
			continue
		}
		out = append(out, fieldProblem{field, fmt.Sprintf("plugin %q: %s", c.Name, clip.Head(vp.GetMessage(), 500))})
	}
	return out
}
