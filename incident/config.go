package incident

import (
	"math"
	"slices"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
)

var nan = math.NaN()

// Config is the incidents section.
type Config struct {
	// OpenAfterFailures is how many failed runs in a row of one probe
	// open an incident; 0: only alerts open incidents.
	OpenAfterFailures *int `yaml:"open_after_failures,omitempty"`
	// OpenOn are the severities whose alerts open an incident.
	OpenOn []string `yaml:"open_on,omitempty"`
	// CloseAfter is how long recovery must hold (every probe passing,
	// every alert resolved) before the incident closes; a failure before
	// then continues the same incident.
	CloseAfter conf.Duration `yaml:"close_after,omitempty"`
	// Retention is how long closed incidents (and the per-probe daily
	// counts of the period report) are kept.
	Retention conf.Duration `yaml:"retention,omitempty"`
}

// Defaults of the incidents section.
const (
	DefaultOpenAfterFailures = 3
	DefaultCloseAfter        = 10 * time.Minute
	DefaultRetention         = 90 * 24 * time.Hour
)

// ApplyDefaults fills what the config leaves unset.
func (c *Config) ApplyDefaults() {
	if c.OpenAfterFailures == nil {
		n := DefaultOpenAfterFailures
		c.OpenAfterFailures = &n
	}
	if c.OpenOn == nil {
		c.OpenOn = []string{"page"}
	}
	if c.CloseAfter == 0 {
		c.CloseAfter = conf.Duration(DefaultCloseAfter)
	}
	if c.Retention == 0 {
		c.Retention = conf.Duration(DefaultRetention)
	}
}

// Validate records the section's problems, fields relative to it.
func (c *Config) Validate(r conf.Report) {
	if c.OpenAfterFailures != nil && *c.OpenAfterFailures < 0 {
		r.Errorf("open_after_failures", "must not be negative (got %d)", *c.OpenAfterFailures)
	}
	for i, s := range c.OpenOn {
		if s != "page" && s != "ticket" {
			r.Index("open_on", i).Errorf("", "unknown severity %q (use page or ticket)", s)
		}
	}
	if c.CloseAfter < 0 {
		r.Errorf("close_after", "must not be negative")
	}
	if c.Retention != 0 && c.Retention.D() < 24*time.Hour {
		r.Errorf("retention", "must be at least 1d (got %s)", c.Retention)
	}
}

func (c *Config) opensOn(sev string) bool { return slices.Contains(c.OpenOn, sev) }
