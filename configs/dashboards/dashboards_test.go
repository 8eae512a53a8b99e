package dashboards_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/configs/internal/e2e"
	"github.com/sloagent/sloagent/internal/testutil"
)

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	out := map[string]dashboard{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = d
	}
	return out
}

// panels lists a dashboard's panels, those inside rows included.
func (d dashboard) panels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// The dashboards import into Grafana as they are: unique uids and panel
// ids, a layout within Grafana's 24 columns, every query on the dashboard's
// data source variable.
func TestDashboardsAreWellFormed(t *testing.T) {
	uids := map[string]string{}
	for file, d := range loadDashboards(t) {
		if d.UID == "" || d.Title == "" || uids[d.UID] != "" {
			t.Errorf("%s: uid %q (also %s), title %q", file, d.UID, uids[d.UID], d.Title)
		}
		uids[d.UID] = file
		if len(d.Templating.List) == 0 || d.Templating.List[0].Type != "datasource" {
			t.Errorf("%s: the first variable should pick the Prometheus data source", file)
		}
		ids := map[int]bool{}
		for _, p := range d.panels() {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", file, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
				t.Errorf("%s: panel %q at %+v is outside the grid", file, p.Title, p.GridPos)
			}
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 || p.Title == "" {
				t.Errorf("%s: panel %q has no title, no query, or another data source", file, p.Title)
			}
		}
	}
}

// Every panel's queries, with the dashboard's variables filled in with
// values Prometheus offers for them, return data from a real Prometheus
// scraping a real agent (HTTP, TLS and browser probes, one failing) and
// evaluating the rules of `sloagent rules`.
func TestEveryPanelShowsData(t *testing.T) {
	testutil.LookPath(t, "prometheus", "prometheus")
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("the browser panels need Chromium (Debian's chromium package)")
	}
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/page" {
			fmt.Fprint(w, page)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(ok.Close)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(tlsSrv.Close)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.yml")
	config := fmt.Sprintf(`
agent: {name: dash-1, location: lab, state_dir: %q}
probes:
  - {name: web, target: %q, interval: 1s, timeout: 900ms}
  - {name: broken, target: %q, interval: 1s, timeout: 900ms}
  - {name: tls, target: %q, interval: 1s, timeout: 900ms, http: {tls_config: {insecure_skip_verify: true}}}
  - name: journey
    kind: browser
    target: %q
    interval: 5s
    timeout: 4s
    browser:
      steps:
        - {name: hero, wait_visible: "#hero"}
        - {name: order, click: "#order"}
        - {name: confirmed, assert_text: {selector: "#out", contains: ordered}}
        - {name: settle, eval: "new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 200)))"}
slos:
  - {name: web-availability, probes: [web, tls], objective: 99}
  - {name: broken-availability, probes: [broken], objective: 99.5}
`, filepath.Join(dir, "state"), ok.URL, ok.URL+"/missing", tlsSrv.URL, ok.URL+"/page")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testutil.AgentBinary(t), "rules", "--config.file="+cfg).Output()
	if err != nil {
		t.Fatalf("sloagent rules: %v", err)
	}
	agent := e2e.StartAgent(t, nil, "--config.file="+cfg, "--web.listen-address=127.0.0.1:0")
	prom := testutil.StartPrometheus(t, fmt.Sprintf(`
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
scrape_configs:
  - job_name: sloagent
    static_configs: [{targets: [%q]}]
`, agent.Addr), map[string]string{"rules.yml": string(out)})

	dashboards := loadDashboards(t)
	type check struct{ file, panel string }
	pending := map[check][]string{}
	for file, d := range dashboards {
		for _, p := range d.panels() {
			for _, tg := range p.Targets {
				pending[check{file, p.Title}] = append(pending[check{file, p.Title}], tg.Expr)
			}
		}
	}
	// Runs, rule evaluations and the browser journey take some seconds to
	// give every series; check until each panel has shown data once.
	deadline := time.Now().Add(2 * time.Minute)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for c, exprs := range pending {
			for _, vars := range combinations(t, prom, dashboards[c.file].Templating.List) {
				if allReturnData(t, prom, exprs, vars) {
					t.Logf("%s: %q shows data with %v", c.file, c.panel, vars)
					delete(pending, c)
					break
				}
			}
		}
		time.Sleep(time.Second)
	}
	// Every name a query uses is one the agent or the rules export (the
	// generated rules' names are matched by prefix in label_replace).
	known := knownNames(t, agent.Addr, string(out))
	for file, d := range dashboards {
		for _, p := range d.panels() {
			for _, tg := range p.Targets {
				for _, name := range metricNameRE.FindAllString(tg.Expr, -1) {
					if !known[strings.TrimSuffix(name, "_bucket")] && name != "slo:burn_rate:ratio_rate" && name != "slo:sli_error:ratio_rate" {
						t.Errorf("%s: panel %q uses %s, which neither the agent nor the rules export", file, p.Title, name)
					}
				}
			}
		}
	}
	for c, exprs := range pending {
		t.Errorf("%s: panel %q shows no data for any value of the variables; its queries:\n  %s", c.file, c.panel, strings.Join(exprs, "\n  "))
	}
}

// A page with a late large paint (LCP), a button whose handler is slow
// (INP), and text the journey checks.
const page = `<!doctype html><html><head><title>shop</title></head><body>
<h1>Shop</h1>
<div id="hero" style="width:600px;height:300px;background:#36c">hero</div>
<button id="order" onclick="let t=Date.now();while(Date.now()-t<50){};document.getElementById('out').textContent='ordered'">Order</button>
<p id="out"></p>
</body></html>`

var metricNameRE = regexp.MustCompile(`\b(?:probe|slo|sloagent)_[a-z0-9_]+\b|\bslo:[a-z0-9_:]+`)

// knownNames are the series the agent serves and the records the rules
// make.
func knownNames(t *testing.T, agentAddr, rules string) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, line := range e2e.Scrape(t, agentAddr) {
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		known[strings.TrimSuffix(name, "_bucket")] = true
	}
	for _, m := range regexp.MustCompile(`record: (\S+)`).FindAllStringSubmatch(rules, -1) {
		known[m[1]] = true
	}
	return known
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

// combinations are the ways to fill in the variables: each value
// Prometheus offers for a query variable (given the variables before it),
// and "All" where the variable has it.
func combinations(t *testing.T, prom *testutil.Prometheus, vars []variable) []map[string]string {
	t.Helper()
	combos := []map[string]string{{"__rate_interval": "1m", "__range": "10m", "__interval": "15s"}}
	for _, v := range vars {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable %s: %v", v.Name, err)
		}
		m := labelValuesRE.FindStringSubmatch(q.Query)
		if m == nil {
			t.Fatalf("variable %s: %q is not label_values(SELECTOR, LABEL)", v.Name, q.Query)
		}
		var next []map[string]string
		for _, c := range combos {
			samples := prom.Query(t, fmt.Sprintf("group by (%s) (%s)", m[2], fill(m[1], c)))
			var values []string
			for _, s := range samples {
				values = append(values, s.Labels[m[2]])
			}
			sort.Strings(values)
			if v.IncludeAll {
				values = append(values, v.AllValue)
			}
			for _, val := range values {
				n := map[string]string{v.Name: val}
				for k, x := range c {
					n[k] = x
				}
				next = append(next, n)
			}
		}
		combos = next
	}
	return combos
}

// fill replaces Grafana's $name and ${name} with their values, longest
// names first so $agent is not taken for a prefix of $agents.
func fill(expr string, vars map[string]string) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	for _, k := range names {
		expr = strings.ReplaceAll(expr, "${"+k+"}", vars[k])
		expr = strings.ReplaceAll(expr, "$"+k, vars[k])
	}
	return expr
}

// allReturnData runs the queries with vars filled in; a query Prometheus
// refuses fails the test.
func allReturnData(t *testing.T, prom *testutil.Prometheus, exprs []string, vars map[string]string) bool {
	for _, e := range exprs {
		if len(prom.Query(t, fill(e, vars))) == 0 {
			return false
		}
	}
	return true
}
