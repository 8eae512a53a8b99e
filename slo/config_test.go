package slo

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
)

type file struct {
	SLOs []Config `yaml:"slos"`
}

// load decodes and validates a config file as the agent does.
func load(t *testing.T, name string) (file, error) {
	t.Helper()
	var f file
	err := testutil.LoadConfig(t, name, &f, func(r conf.Report) { ValidateList(r, f.SLOs) })
	return f, err
}

func TestValidConfig(t *testing.T) {
	f, err := load(t, "valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.SLOs) != 2 || f.SLOs[0].Window.Rolling.D() != 28*24*time.Hour || f.SLOs[1].Timeslice.Length.D() != 5*time.Minute {
		t.Fatalf("decoded %+v", f.SLOs)
	}
	if _, err := NewEngine(f.SLOs, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	a, b := f.SLOs[0], f.SLOs[1]
	for _, tc := range []struct {
		c      Config
		probe  string
		labels map[string]string
		want   bool
	}{
		{a, "checkout-fra", nil, true},
		{a, "checkout-ber", nil, false},
		{b, "x", map[string]string{"team": "payments", "region": "eu", "tier": "1"}, true},
		{b, "x", map[string]string{"team": "payments"}, false},
		{b, "x", map[string]string{"team": "payments", "region": "us"}, false},
	} {
		if got := tc.c.Matches(tc.probe, tc.labels); got != tc.want {
			t.Errorf("%s matches %s %v = %v, want %v", tc.c.Name, tc.probe, tc.labels, got, tc.want)
		}
	}
	// The weekly window recurs; the one-off does not.
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-01-31T22:30:00Z", true},
		{"2026-01-31T23:00:00Z", false},
		{"2026-02-07T22:30:00Z", false},
		{"2026-01-04T02:00:00Z", true},
		{"2026-01-25T02:59:59Z", true},
		{"2026-01-25T03:00:00Z", false},
		{"2026-01-03T02:30:00Z", false},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := a.inMaintenance(at); got != tc.want {
			t.Errorf("in maintenance at %s = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestInvalidConfigs(t *testing.T) {
	for file, want := range map[string]string{
		"invalid-objective.yml":        "invalid-objective.yml:4: slos[0].objective: must be a percentage above 0 and below 100, such as 99.9 (got 100)",
		"invalid-no-probes.yml":        "invalid-no-probes.yml:2: slos[0]: set probes or probe_selector: no probe's runs would count",
		"invalid-name.yml":             `invalid-name.yml:2: slos[0].name: invalid name "check out": use letters, digits, '_', '.' and '-', starting with a letter or digit`,
		"invalid-duplicate.yml":        `invalid-duplicate.yml:5: slos[1].name: duplicate SLO name "checkout" (first used by slos[0])`,
		"invalid-window-both.yml":      "invalid-window-both.yml:5: slos[0].window: set either rolling or calendar, not both",
		"invalid-rolling.yml":          "invalid-rolling.yml:6: slos[0].window.rolling: must be between 1d and 366d (got 2h)",
		"invalid-calendar.yml":         `invalid-calendar.yml:6: slos[0].window.calendar: unknown calendar period "quarter" (use month or week)`,
		"invalid-time-zone.yml":        `invalid-time-zone.yml:7: slos[0].window.time_zone: unknown time zone "Europe/Atlantis"`,
		"invalid-method.yml":           `invalid-method.yml:5: slos[0].budgeting_method: unknown method "requests" (use occurrences or timeslices)`,
		"invalid-timeslice.yml":        "invalid-timeslice.yml:7: slos[0].timeslice.length: must be a whole number of minutes that divides an hour, such as 1m, 5m or 15m (got 7m)\ninvalid-timeslice.yml:8: slos[0].timeslice.good_threshold: must be a ratio above 0 and at most 1, such as 0.95 (got 1.5)",
		"invalid-timeslice-unused.yml": "invalid-timeslice-unused.yml:5: slos[0].timeslice: only used with budgeting_method: timeslices",
		"invalid-maintenance.yml":      "invalid-maintenance.yml:7: slos[0].maintenance_windows[0].end: must be after start",
		"invalid-alerting.yml":         "invalid-alerting.yml:8: slos[0].alerting.ticket[0].short_window: must be whole minutes and shorter than long_window (got 2h)\ninvalid-alerting.yml:9: slos[0].alerting.ticket[0].burn_rate: must be above 0 (got 0)",
		"invalid-unknown-key.yml":      `invalid-unknown-key.yml:5: slos[0].windows: unknown field "windows"`,
		"invalid-duration.yml":         `invalid-duration.yml:5: slos[0].latency_threshold: invalid duration "fast" (use a number and a unit: ms, s, m, h, d, w)`,
		"invalid-runbook.yml":          `invalid-runbook.yml:5: slos[0].runbook_url: not an absolute URL: "runbooks/checkout"`,
		"invalid-runbook-scheme.yml":   `invalid-runbook-scheme.yml:5: slos[0].runbook_url: "javascript://runbooks/%0aalert(1)" is not an http:// or https:// link`,
	} {
		t.Run(file, func(t *testing.T) {
			_, err := load(t, file)
			if err == nil || err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
		})
	}
}

func TestAlertingConfigRefused(t *testing.T) {
	for file, want := range map[string]string{
		"invalid-no-budget.yml": "invalid-no-budget.yml:4: slos[0].objective: leaves no error budget (100 - 99.99999999999 rounds to 0): use at most 99.999999999",
		"invalid-alert-for.yml": "invalid-alert-for.yml:6: slos[0].alerting.for.page: must be between 0 and 31d (got 40d)\n" +
			"invalid-alert-for.yml:7: slos[0].alerting.min_events: must not be negative (got -3)\n" +
			"invalid-alert-for.yml:9: slos[0].alerting.page[0].min_events: must not be negative (got -1)",
		"invalid-labels.yml": `invalid-labels.yml:5: slos[0].labels.1x: invalid label name "1x"` + "\n" +
			`invalid-labels.yml:5: slos[0].labels.severity: label "severity" is set by the agent on every alert`,
	} {
		t.Run(file, func(t *testing.T) {
			_, err := load(t, file)
			if err == nil || err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
		})
	}
}

// Lint warns of alerts that cannot work, each on its line.
func TestLint(t *testing.T) {
	f, err := load(t, "lint.yml")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join("testdata", "lint.yml"))
	doc, _ := conf.Decode("lint.yml", data, &file{}, nil)
	r := conf.NewReport()
	Lint(r, f.SLOs, []ProbeInfo{
		{Name: "slow", Interval: time.Minute},
		{Name: "fast", Interval: 30 * time.Second, Labels: map[string]string{"team": "web"}},
	})
	got := doc.Err(doc.Locate(r.Problems())).Error()
	want := "lint.yml:6: slos[0].window: page alert 2m/1m at burn rate 14.4: its 1m window holds 1 run (probe slow every 1m): a single failure decides it\n" +
		"lint.yml:6: slos[0].window: page alert 2m/1m at burn rate 14.4 can never fire: its 2m long window holds about 2 runs of the SLO's probes, fewer than min_events 10\n" +
		"lint.yml:6: slos[0].window: page alert 12m/1m at burn rate 6: its 1m window holds 1 run (probe slow every 1m): a single failure decides it\n" +
		"lint.yml:10: slos[1].objective: page alert 1h/5m at burn rate 14.4 can never fire: objective 90% allows burn rates up to 10\n" +
		"lint.yml:13: slos[2].probe_selector: matches no probe\n" +
		"lint.yml:21: slos[3].alerting.page[0].long_window: page alert 10m/1m at burn rate 14.4 can never fire: its 10m long window holds about 20 runs of the SLO's probes, fewer than min_events 30"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
