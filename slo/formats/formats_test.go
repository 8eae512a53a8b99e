package formats

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/slo"
)

func d(s string) conf.Duration {
	v, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return conf.Duration(v)
}

// Every field of sloagent's SLOs, in the combinations that differ in
// OpenSLO.
func fullSLOs() []slo.Config {
	return []slo.Config{
		{
			Name: "checkout", Description: "Checkout works and answers within 300ms.",
			Probes: []string{"checkout", "checkout-eu"}, Objective: 99.9,
			Window: slo.WindowConfig{Rolling: d("720h")}, LatencyThreshold: d("300ms"),
			RunbookURL: "https://runbooks.example.com/checkout",
			MaintenanceWindows: []slo.MaintenanceWindow{{
				Start: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC), Every: d("168h"),
			}},
			Alerting: slo.AlertingConfig{
				Page:   []slo.BurnRateAlert{{LongWindow: d("1h"), ShortWindow: d("5m"), BurnRate: 14.4}},
				Ticket: []slo.BurnRateAlert{{LongWindow: d("72h"), ShortWindow: d("6h"), BurnRate: 1}},
			},
		},
		{
			Name: "search", ProbeSelector: map[string]string{"team": "search", "tier": "web"}, Objective: 99.5,
			Window:          slo.WindowConfig{Calendar: slo.Month, TimeZone: "Europe/Berlin"},
			BudgetingMethod: slo.Timeslices, Timeslice: slo.TimesliceConfig{Length: d("5m"), GoodThreshold: 0.95},
		},
		{
			Name: "login", Probes: []string{"login"}, ProbeSelector: map[string]string{"team": "identity"}, Objective: 99.95,
			Window: slo.WindowConfig{Calendar: slo.Week}, BudgetingMethod: slo.Occurrences,
		},
	}
}

// sloagent -> OpenSLO -> sloagent gives back the same SLOs, and the export
// names what only its annotations carry.
func TestOpenSLORoundTripFromSloagent(t *testing.T) {
	in := fullSLOs()
	if err := Validate(in); err != nil {
		t.Fatal(err)
	}
	out, ws, err := ExportOpenSLO(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"slo checkout: latency_threshold 300ms: OpenSLO has no latency threshold for a ratio SLI; kept in annotation sloagent.io/latency-threshold, which only sloagent reads (the exported counters already count slow runs as bad)",
		"slo checkout: runbook_url: OpenSLO has no runbook field; kept in annotation sloagent.io/runbook-url",
		"slo checkout: maintenance_windows: OpenSLO has none; kept in annotation sloagent.io/maintenance-windows, which only sloagent reads",
		"slo checkout: alerting: each alert's short window is kept in annotation sloagent.io/short-window of its condition; OpenSLO's burnrate condition has one lookback window",
		"slo search: alerting: the default multi-window multi-burn-rate alerts (SRE Workbook) are not written out; a tool reading the export applies its own",
		"slo login: alerting: the default multi-window multi-burn-rate alerts (SRE Workbook) are not written out; a tool reading the export applies its own",
	}
	assertWarnings(t, ws, want)
	back, ws, err := Import("export.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(ws) != 0 {
		t.Errorf("importing an export warns: %v", ws)
	}
	in[0].BudgetingMethod = slo.Occurrences // the default, written out
	if !reflect.DeepEqual(back, in) {
		t.Errorf("round trip changed the SLOs:\n got %+v\nwant %+v\nexport:\n%s", back, in, out)
	}
	for _, s := range []string{
		"apiVersion: openslo/v1\nkind: SLO\n",
		`query: sum(slo_good_events_total{slo="checkout"})`,
		`query: sum(slo_events_total{slo="checkout"})`,
		"- duration: 1M\n",
		"startTime: \"2024-01-01 00:00:00\"\n",
		"timeZone: Europe/Berlin\n",
		"budgetingMethod: Timeslices",
		"timeSliceTarget: 0.95\n",
		"timeSliceWindow: 5m\n",
		"lookbackWindow: 3d",
		"target: 0.999\n",
	} {
		if !strings.Contains(string(out), s) {
			t.Errorf("the export lacks %q:\n%s", s, out)
		}
	}
}

// OpenSLO from another tool: what maps is imported, the rest is named, and
// exporting the import and reading it again changes nothing more.
func TestOpenSLOImport(t *testing.T) {
	data, err := os.ReadFile("testdata/openslo-shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, ws, err := Import("openslo-shop.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []slo.Config{
		{
			Name: "checkout-availability", Description: "Checkout answers.", ProbeSelector: map[string]string{"service": "shop"},
			Objective: 99.5, Window: slo.WindowConfig{Rolling: d("672h")}, BudgetingMethod: slo.Occurrences,
			Alerting: slo.AlertingConfig{Page: []slo.BurnRateAlert{{LongWindow: d("1h"), ShortWindow: d("5m"), BurnRate: 14.4}}},
		},
		{
			Name: "search-fast", ProbeSelector: map[string]string{"sli": "search-latency"}, Objective: 99,
			Window:          slo.WindowConfig{Calendar: slo.Month, TimeZone: "Europe/Berlin"},
			BudgetingMethod: slo.Timeslices, Timeslice: slo.TimesliceConfig{Length: d("5m"), GoodThreshold: 0.95},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("imported\n %+v\nwant\n %+v", got, want)
	}
	p := "openslo-shop.yaml: "
	assertWarnings(t, ws, []string{
		p + `SLO checkout-availability: metadata.displayName "Checkout availability" is not kept (the SLO goes by its name)`,
		p + "SLO checkout-availability: metadata.labels team are not kept: the agent's SLOs have no labels of their own",
		p + `SLO checkout-availability: spec.indicator: its queries (bad sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m])); total sum(rate(http_requests_total{job="checkout"}[5m]))) are not kept: the agent's SLOs count runs of its probes`,
		p + "SLO checkout-availability: counts the runs of probes labelled service=shop (probe_selector); label the probes that measure it so",
		p + `SLO checkout-availability: spec.objectives[0].displayName "Good requests" is not kept`,
		p + "AlertPolicy fast-burn: notificationTargets are not kept: the agent's alerts go to the Alertmanager its config names",
		p + "AlertCondition burn-1h: the short window of the burn-rate alert is taken as 1/12 of lookbackWindow 1h (5m), as the SRE Workbook pairs them",
		p + "AlertCondition burn-1h: alertAfter 2m is not kept: the short window already keeps a brief spike from firing",
		p + "SLI search-latency: its queries (threshold histogram_quantile(0.99, sum by (le) (rate(search_seconds_bucket[5m])))) are not kept: the agent's SLOs count runs of its probes",
		p + "SLO search-fast: counts the runs of probes labelled sli=search-latency (probe_selector); label the probes that measure it so",
		p + "SLO search-fast: spec.objectives[0]: op and value (a threshold on the metric) are not kept; a run is good when its probe succeeds (and within latency_threshold)",
		p + "Service shop: services are not kept; an SLO's spec.service becomes its probe_selector {service: NAME}",
		p + "DataSource prometheus: data sources are not kept: the agent's SLOs count its own probes' runs",
		p + "AlertNotificationTarget on-call: notification targets are not kept: the agent's alerts go to the Alertmanager its config names",
	})

	out, _, err := ExportOpenSLO(got)
	if err != nil {
		t.Fatal(err)
	}
	again, ws, err := Import("again.yaml", out)
	if err != nil || len(ws) != 0 || !reflect.DeepEqual(again, got) {
		t.Errorf("export and import again: %v, warnings %v\n got %+v\nwant %+v", err, ws, again, got)
	}
}

func TestSlothImport(t *testing.T) {
	data, err := os.ReadFile("testdata/sloth-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, ws, err := Import("sloth-api.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []slo.Config{
		{Name: "api-requests-availability", Description: "API requests do not fail.", ProbeSelector: map[string]string{"service": "api"},
			Objective: 99.9, RunbookURL: "https://runbooks.example.com/api-availability", Window: slo.WindowConfig{Rolling: d("720h")}, BudgetingMethod: slo.Occurrences},
		{Name: "api-latency", ProbeSelector: map[string]string{"service": "api"}, Objective: 99, Window: slo.WindowConfig{Rolling: d("720h")}, BudgetingMethod: slo.Occurrences},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("imported\n %+v\nwant\n %+v", got, want)
	}
	p := "sloth-api.yaml: "
	assertWarnings(t, ws, []string{
		p + "service api: labels owner are not kept: the agent's series carry its own labels",
		p + `slo api-requests-availability: sli.events (error_query sum(rate(http_requests_total{job="api",code=~"(5..|429)"}[{{.window}}])); total_query sum(rate(http_requests_total{job="api"}[{{.window}}]))) is not kept: the SLO counts the runs of probes labelled service=api`,
		p + "slo api-requests-availability: alerting.name ApiAvailability is not kept: the generated alerts are named SLOErrorBudgetBurn, with labels slo and severity",
		p + "slo api-requests-availability: alerting.labels category are not kept",
		p + "slo api-requests-availability: alerting.annotations.summary is not kept",
		p + "slo api-requests-availability: alerting.page_alert.labels severity are not kept: the alert's severity label is page or ticket",
		p + "slo api-requests-availability: alerting.ticket_alert.disable is not kept: both severities' alerts are generated",
		p + `slo api-latency: sli.raw (error_ratio_query 1 - sum(rate(http_request_duration_seconds_bucket{job="api",le="0.25"}[{{.window}}])) / sum(rate(http_request_duration_seconds_count{job="api"}[{{.window}}]))) is not kept: the SLO counts the runs of probes labelled service=api`,
	})

	data, err = os.ReadFile("testdata/sloth-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, ws, err = Import("sloth-crd.yaml", data)
	if err != nil || len(got) != 1 || got[0].Name != "web-up" || got[0].Objective != 99.5 || len(ws) != 2 {
		t.Errorf("the Kubernetes resource: %v, %+v, %v", err, got, ws)
	}
}

func TestImportRefusesWhatItCannotRead(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: a}\n", "x.yaml: apiVersion openslo/v1alpha: only openslo/v1 is read"},
		{"kind: SLO\n", "x.yaml: neither OpenSLO (apiVersion: openslo/v1) nor a sloth spec (version: prometheus/v1, or apiVersion: sloth.slok.dev/v1)"},
		{"apiVersion: openslo/v1\nkind: Widget\nmetadata: {name: a}\n", `x.yaml: document 1: kind "Widget" is not an OpenSLO v1 kind`},
		{"apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {indicatorRef: x, budgetingMethod: Occurrences, objectives: [{target: 0.9}], colour: red}\n",
			"x.yaml: SLO a: yaml: unmarshal errors:\n  line 4: unknown field \"colour\""},
		{"apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {indicatorRef: x, budgetingMethod: Occurrences, objectives: [{target: 0.9}]}\n",
			`x.yaml: SLO a: spec.indicatorRef: no SLI named "x" in the file`},
		{"version: prometheus/v1\nslos: [{name: a, objective: 99}]\n", "x.yaml: document 1: service is missing"},
		// A wrong value names its line in the file, not in the document
		// alone.
		{"version: prometheus/v1\nservice: a\nslos:\n  - name: x\n    objective: 99\n---\nversion: prometheus/v1\nservice: b\nslos:\n  - name: y\n    objective: lots\n",
			"x.yaml: document 2: yaml: unmarshal errors:\n  line 11: cannot unmarshal !!str `lots` into float64"},
		{"# SLOs\n\napiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  indicatorRef: x\n  budgetingMethod: Occurrences\n  objectives:\n    - target: high\n",
			"x.yaml: SLO a: yaml: unmarshal errors:\n  line 10: cannot unmarshal !!str `high` into float64"},
		{"version: prometheus/v1\nservice: s\nslos: [{name: a, objective: 100}]\n",
			"x.yaml: the imported SLOs are not valid: slos[0].objective: must be a percentage above 0 and below 100, such as 99.9 (got 100)"},
	} {
		_, _, err := Import("x.yaml", []byte(c.doc))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.doc, err, c.want)
		}
	}
	// A file larger than a config may be, refused before it is parsed.
	huge := []byte("version: prometheus/v1\nservice: s\nslos: [" + strings.Repeat("{name: a, objective: 99}, ", conf.MaxFileSize/26) + "]\n")
	if _, _, err := Import("x.yaml", huge); err == nil || err.Error() != "x.yaml: the file has more than 8388608 bytes (8 MiB), the most an SLO file may have" {
		t.Errorf("a file of %d bytes: %v", len(huge), err)
	}
}

// Marshal writes a slos: list with only what is set.
func TestMarshal(t *testing.T) {
	out, err := Marshal(fullSLOs()[1:2])
	if err != nil {
		t.Fatal(err)
	}
	want := `slos:
  - name: search
    probe_selector:
      team: search
      tier: web
    objective: 99.5
    window:
      calendar: month
      time_zone: Europe/Berlin
    budgeting_method: timeslices
    timeslice:
      length: 5m
      good_threshold: 0.95
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	var back struct{ SLOs []slo.Config }
	if err := yaml.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back.SLOs, fullSLOs()[1:2]) {
		t.Errorf("read back: %v %+v", err, back.SLOs)
	}
}

func assertWarnings(t *testing.T, ws []Warning, want []string) {
	t.Helper()
	var got []string
	for _, w := range ws {
		got = append(got, w.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An SLO's references to SLIs, alert policies and alert conditions
// resolve by name; an unknown name is an error, and objects no SLO refers
// to are warned of, kind by kind and in name order.
func TestOpenSLORefs(t *testing.T) {
	const head = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {indicatorRef: s, budgetingMethod: Occurrences, objectives: [{target: 0.99}], "
	const sli = "---\napiVersion: openslo/v1\nkind: SLI\nmetadata: {name: s}\nspec: {thresholdMetric: {metricSource: {type: x, spec: {}}}}\n"
	const policy = "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec: {alertWhenBreaching: true, conditions: [{conditionRef: c}]}\n"
	for _, c := range []struct{ doc, want string }{
		{head + "alertPolicies: [{alertPolicyRef: q}]}\n" + sli, `x.yaml: SLO a: spec.alertPolicies[0]: alertPolicyRef: no AlertPolicy named "q" in the file`},
		{head + "alertPolicies: [{alertPolicyRef: p}]}\n" + sli + policy, `x.yaml: SLO a: spec.alertPolicies[0]: conditionRef: no AlertCondition named "c" in the file`},
	} {
		_, _, err := Import("x.yaml", []byte(c.doc))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.doc, err, c.want)
		}
	}

	doc := head + "alertPolicies: [{alertPolicyRef: p}]}\n" + sli + policy +
		"---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: c}\nspec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}}\n"
	for _, unused := range []string{"AlertCondition z", "AlertPolicy y", "SLI x", "SLI w"} {
		kind, name, _ := strings.Cut(unused, " ")
		doc += "---\napiVersion: openslo/v1\nkind: " + kind + "\nmetadata: {name: " + name + "}\nspec: {}\n"
	}
	got, ws, err := Import("x.yaml", []byte(doc))
	if err != nil || len(got) != 1 || len(got[0].Alerting.Page) != 1 {
		t.Fatalf("%v, %+v", err, got)
	}
	var refs []Warning
	for _, w := range ws {
		if strings.Contains(w.Message, "no SLO refers") {
			refs = append(refs, w)
		}
	}
	p := "x.yaml: "
	assertWarnings(t, refs, []string{
		p + "SLI w: no SLO refers to it, so it is not imported",
		p + "SLI x: no SLO refers to it, so it is not imported",
		p + "AlertPolicy y: no SLO refers to it, so it is not imported",
		p + "AlertCondition z: no SLO refers to it, so it is not imported",
	})
}
