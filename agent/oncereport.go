package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sloagent/sloagent/agent/config"
)

// writeText prints the run as a table, one probe a line, the diagnostics
// files of the failed runs, and what the push did.
func (r *onceRun) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tRESULT\tREASON\tDURATION\tMESSAGE")
	for _, x := range r.results {
		result := "ok"
		switch {
		case x.skipped:
			result = "SKIP"
		case !x.res.Success:
			result = "FAIL"
		}
		msg := strings.ReplaceAll(x.res.Message, "\n", " ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.probe, result, x.res.Reason, x.res.Duration.Round(time.Millisecond), msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range r.results {
		for _, d := range r.diagnostics(x) {
			fmt.Fprintf(w, "diagnostics: %s\n", d)
		}
	}
	passed := len(r.results) - r.failed() - r.skipped()
	if n := r.skipped(); n > 0 {
		fmt.Fprintf(w, "%s: %d passed, %d failed, %d skipped (no browser slot)\n", count(len(r.results), "probe"), passed, r.failed(), n)
	} else {
		fmt.Fprintf(w, "%s: %d passed, %d failed\n", count(len(r.results), "probe"), passed, r.failed())
	}
	for _, p := range r.pushed {
		if p.err == nil {
			fmt.Fprintf(w, "pushed to %s\n", p.target)
		} else {
			fmt.Fprintf(w, "push to %s FAILED\n", p.target)
		}
	}
	return nil
}

// onceJSON is the --output=json summary.
type onceJSON struct {
	Agent    string          `json:"agent"`
	Location string          `json:"location,omitempty"`
	Start    time.Time       `json:"start"`
	Passed   int             `json:"passed"`
	Failed   int             `json:"failed"`
	Skipped  int             `json:"skipped"`
	Probes   []onceProbeJSON `json:"probes"`
	Push     []pushJSON      `json:"push,omitempty"`
}

type onceProbeJSON struct {
	Probe           string   `json:"probe"`
	Success         bool     `json:"success"`
	Skipped         bool     `json:"skipped,omitempty"`
	Reason          string   `json:"reason,omitempty"`
	DurationSeconds float64  `json:"duration_seconds"`
	Message         string   `json:"message,omitempty"`
	Start           string   `json:"start"`
	Diagnostics     []string `json:"diagnostics,omitempty"`
}

type pushJSON struct {
	Target string `json:"target"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
}

func (r *onceRun) writeJSON(w io.Writer, cfg *config.Config) error {
	out := onceJSON{Agent: cfg.Agent.Name, Location: cfg.Agent.Location, Start: r.start.UTC(),
		Failed: r.failed(), Skipped: r.skipped(), Passed: len(r.results) - r.failed() - r.skipped(), Probes: []onceProbeJSON{}}
	for _, x := range r.results {
		out.Probes = append(out.Probes, onceProbeJSON{
			Probe: x.probe, Success: x.res.Success, Skipped: x.skipped, Reason: x.res.Reason,
			DurationSeconds: x.res.Duration.Seconds(), Message: x.res.Message,
			Start: x.start.UTC().Format(time.RFC3339Nano), Diagnostics: r.diagnostics(x),
		})
	}
	for _, p := range r.pushed {
		pj := pushJSON{Target: p.target, OK: p.err == nil}
		if p.err != nil {
			pj.Error = p.err.Error()
		}
		out.Push = append(out.Push, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
