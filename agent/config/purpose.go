package config

import (
	"fmt"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
)

// Purpose is what a config is loaded for. It decides how values the probes
// read at each run (a browser step's text_env or text_file) are checked:
// the agent that runs the config needs them now, while a machine that only
// checks a config or makes rules from it need not hold its secrets.
type Purpose int

const (
	// ToRun is the daemon's and once's: an absent run-time value is an
	// error.
	ToRun Purpose = iota
	// ToCheck is check-config's and rules': an absent run-time value is a
	// warning (Warnings).
	ToCheck
)

// checkRunTime reports into r every run-time value of the probes that is
// absent now.
func (c *Config) checkRunTime(r conf.Report) {
	for i := range c.Probes {
		p := &c.Probes[i]
		if k := p.KindOf(); k != nil {
			conf.CheckRunTime(r.Index("probes", i), k.RunTimeInputs(p.Section))
		}
	}
}

// Warnings returns what loading ToCheck found but did not refuse, one line
// each as file:line: warning: field: message.
func (c *Config) Warnings() []string {
	return c.warnings
}

func warningLine(file string, p conf.Problem) string {
	var b strings.Builder
	b.WriteString(file)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": warning: ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems returns what r holds, found after loading (such as by
// plugins.Check, with fields relative to the whole config), as a
// *conf.Error with the file's lines (for a config loaded ToCheck; one
// loaded ToRun names fields only); nil when r is empty.
func (c *Config) Problems(r conf.Report) error {
	if r.Empty() || c.files == nil {
		return nil
	}
	ps := r.Problems()
	if c.redactor != nil {
		// A config loaded to run keeps no node trees, whose secrets the
		// files' own redaction walks: its redactor hides them.
		for i := range ps {
			ps[i].Msg = c.redactor.String(ps[i].Msg)
		}
	}
	per := make([][]conf.Problem, len(c.files.docs))
	c.files.split(ps, per, nil)
	return c.files.err(per)
}
