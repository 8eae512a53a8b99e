package incident

import (
	"time"
)

// DayStats is a probe's runs on one UTC day: what the period report
// reads for top failure reasons and flapping probes, kept as long as
// incidents are.
type DayStats struct {
	Day      string `json:"day"` // 2026-01-31, UTC
	Probe    string `json:"probe"`
	Runs     int    `json:"runs"`
	Failures int    `json:"failures"`
	// Spells counts the times the probe started failing: a probe with
	// many spells flaps.
	Spells  int            `json:"spells"`
	Reasons map[string]int `json:"reasons,omitempty"`

	dirty bool
}

type dayKey struct{ day, probe string }

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// dayName is dayOf for the runs of the tracker, which come day after day:
// formatting a date for every run would cost an allocation each.
type dayName struct {
	n    int64
	name string
}

func (d *dayName) of(t time.Time) string {
	if n := t.Unix() / 86400; n != d.n || d.name == "" {
		d.n, d.name = n, dayOf(t)
	}
	return d.name
}

// countDay counts a run in its day; wasFailing is whether the probe's
// previous run failed. t.mu is held.
func (t *Tracker) countDay(r Run, wasFailing bool) {
	k := dayKey{t.today.of(r.Time), r.Probe}
	d := t.days[k]
	if d == nil {
		d = &DayStats{Day: k.day, Probe: r.Probe}
		if t.store != nil {
			if kept, err := t.store.day(k); err != nil {
				t.log.Warn("reading a probe's daily counts failed; counting the day afresh", "probe", r.Probe, "err", err)
			} else if kept != nil {
				d = kept
			}
		}
		t.days[k] = d
	}
	d.Runs++
	d.dirty = true
	if r.Success {
		return
	}
	d.Failures++
	if !wasFailing {
		d.Spells++
	}
	if d.Reasons == nil {
		d.Reasons = map[string]int{}
	}
	if _, ok := d.Reasons[r.Reason]; ok || len(d.Reasons) < maxReasons {
		d.Reasons[r.Reason]++
	}
}

// Days returns the probes' daily counts of the UTC days from from to to.
func (t *Tracker) Days(from, to time.Time) []DayStats {
	t.mu.Lock()
	t.flush(t.clock())
	t.mu.Unlock()
	if t.store == nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		var out []DayStats
		for k, d := range t.days {
			if k.day >= dayOf(from) && k.day <= dayOf(to) {
				out = append(out, *d)
			}
		}
		return out
	}
	out, err := t.store.days(dayOf(from), dayOf(to))
	if err != nil {
		t.log.Error("reading daily counts failed", "err", err)
	}
	return out
}
