package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageFacts are what the status page shows, read in Chromium.
type pageFacts struct {
	ScrollWidth int      `json:"scrollWidth"`
	TableRights []int    `json:"tableRights"`
	Now         string   `json:"now"`
	NowBroken   bool     `json:"nowBroken"`
	Probes      []pRow   `json:"probes"`
	ShopAlerts  []string `json:"shopAlerts"`
	ShopBudget  string   `json:"shopBudget"`
	ChartTexts  []string `json:"chartTexts"`
	Objective   bool     `json:"objective"`
	Polyline    int      `json:"polyline"`
}

type pRow struct {
	Name      string   `json:"name"`
	Status    string   `json:"status"`
	Since     string   `json:"since"`
	Strip     []string `json:"strip"`
	Hour      string   `json:"hour"`
	Day       string   `json:"day"`
	Threshold string   `json:"threshold"`
}

const pageScript = `(() => {
  const q = (s, r) => (r || document).querySelector(s);
  const txt = (s, r) => { const e = q(s, r); return e ? e.textContent.trim() : ""; };
  const shop = q("#slo-shop");
  return {
    scrollWidth: document.documentElement.scrollWidth,
    tableRights: [...document.querySelectorAll("table")].map(t => Math.ceil(t.getBoundingClientRect().right)),
    now: txt("#now"),
    nowBroken: q("#now").classList.contains("broken"),
    probes: [...document.querySelectorAll("#probes tr.probe")].map(r => ({
      name: txt("b", r), status: txt(".status span", r), since: txt(".since", r),
      strip: [...r.querySelectorAll(".strip span")].map(s => s.className),
      hour: txt(".hour", r), day: txt(".day", r), threshold: txt(".threshold", r),
    })),
    shopAlerts: [...shop.querySelectorAll(".alerts .alert-state")].map(e => e.className + ": " + e.textContent + " " + e.nextElementSibling.textContent),
    shopBudget: txt(".budget-text", shop),
    chartTexts: [...shop.querySelectorAll("svg text")].map(e => e.textContent),
    objective: !!q("svg line.objective", shop),
    polyline: (q("svg polyline", shop).getAttribute("points") || "").split(" ").length,
  };
})()`

// browse opens url in a real Chromium with a 1280-px window and
// evaluates script into out, awaiting it when it is a promise.
func browse[T any](t *testing.T, url, script string, out *T) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.ExecPath("/usr/bin/chromium"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("chromium on %s: %v", url, err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("chromium on %s: %v", url, err)
	}
	*out = v
}

// The status page in Chromium answers what is broken, since when and
// why: the broken things on top, each probe's strip of runs and success
// ratios, a probe slower than its SLO flagged, every alert's state with
// since-when, the budget's words and a chart with axes and the
// objective; no table is wider than a 1280-px window. The incident page
// shows the incident's figures as the JSON API has them.
func TestStatusPageInChromium(t *testing.T) {
	t.Parallel()
	ok, broken := targets(t)
	slowSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		fmt.Fprintln(w, "slow but fine")
	}))
	defer slowSrv.Close()
	ta := startAgent(t, fmt.Sprintf(`
agent: {name: page-agent, location: lab}
probes:
  - {name: up, target: %s, interval: 250ms, timeout: 240ms}
  - {name: down, target: %s, interval: 250ms, timeout: 240ms}
  - {name: slow, target: "%s/a-rather-long-path/that/should/wrap/instead/of/pushing/the/table/wider/than/the/window?with=query&and=more", interval: 250ms, timeout: 240ms}
slos:
  - {name: shop, probes: [up, down], objective: 99, runbook_url: "https://runbooks.example.com/shop"}
  - {name: fast, probes: [slow], objective: 99, latency_threshold: 20ms}
alerting: {evaluation_interval: 1s}
incidents: {open_after_failures: 3}
`, ok.URL, broken.URL, slowSrv.URL))
	waitFor(t, "the shop's page alert and the incident", func() bool {
		v, _ := ta.value(t, "slo_alert_firing", map[string]string{"slo": "shop", "severity": "page"})
		n, _ := ta.value(t, "sloagent_incidents_open", nil)
		return v == 1 && n >= 1
	})
	waitFor(t, "a dozen runs of each probe", func() bool {
		for _, p := range []string{"up", "down", "slow"} {
			if v, _ := ta.value(t, "probe_runs_total", map[string]string{"probe": p}); v < 12 {
				return false
			}
		}
		return true
	})

	// The share of passing runs so far (all within the hour), read before
	// and after the page: runs go on while it loads.
	passing := func() map[string][2]float64 {
		runs, failed := map[string]float64{}, map[string]float64{}
		mfs, err := ta.Gatherer().Gather() // one gather: runs and failures of the same moment
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			into := map[string]map[string]float64{"probe_runs_total": runs, "probe_failures_total": failed}[mf.GetName()]
			if into == nil {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "probe" {
						into[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			}
		}
		out := map[string][2]float64{}
		for p, n := range runs {
			out[p] = [2]float64{n, failed[p]}
		}
		return out
	}
	before := passing()
	var f pageFacts
	browse(t, ta.web.URL+"/", pageScript, &f)
	after := passing()
	if f.ScrollWidth > 1280 {
		t.Errorf("the page is %d px wide in a 1280-px window", f.ScrollWidth)
	}
	for i, r := range f.TableRights {
		if r > 1280 {
			t.Errorf("table %d ends at %d px", i, r)
		}
	}
	if !f.NowBroken || !strings.Contains(f.Now, "incident 1: Probe down is failing open since") ||
		!strings.Contains(f.Now, "page firing SLO shop") || !strings.Contains(f.Now, "probe down failing since") {
		t.Errorf("broken now: %v %q", f.NowBroken, f.Now)
	}
	rows := map[string]pRow{}
	for _, r := range f.Probes {
		rows[r.Name] = r
	}
	want := map[string]struct{ status, strip string }{"up": {"up", "r-ok"}, "down": {"down", "r-fail"}, "slow": {"slow", "r-slow"}}
	statusOf := map[string]string{"r-ok": "up", "r-fail": "down", "r-slow": "slow"}
	for name, w := range want {
		r := rows[name]
		// The status is the last run's: up and slow may time out on a
		// machine shared with builds, down always fails.
		if n := len(r.Strip); n == 0 || r.Status != statusOf[r.Strip[n-1]] || name == "down" && r.Status != "down" ||
			!strings.HasPrefix(r.Since, "since ") {
			t.Errorf("probe %s: %+v, want the status of its last run (%s when it passes)", name, r, w.status)
		}
		// The page counted the runs of a moment between the two reads:
		// at least the failures before, at most those after, each one a
		// run more.
		rb, fb, ra, fa := before[name][0], before[name][1], after[name][0], after[name][1]
		lo := 100*(rb+fa-fb-fa)/(rb+fa-fb) - 0.05
		hi := 100*(ra-fb)/ra + 0.05
		for _, shown := range []string{r.Hour, r.Day} {
			var v float64
			if _, err := fmt.Sscanf(shown, "%f%%", &v); err != nil || v < lo || v > hi {
				t.Errorf("probe %s: %q of runs passed, the agent counted %v failed of %v runs before and %v of %v after", name, shown, fb, rb, fa, ra)
			}
		}
		if len(r.Strip) < 12 || len(r.Strip) > stripRuns {
			t.Errorf("probe %s: strip of %d runs", name, len(r.Strip))
		}
		// Every run of down fails; up and slow pass unless a run times
		// out (their 240ms timeout on a machine shared with builds):
		// each failed run in their strips is one the ratios counted.
		count := 0
		for _, c := range r.Strip {
			if c == w.strip {
				count++
			} else if c != "r-fail" || name == "down" {
				t.Errorf("probe %s: strip %v, want %s", name, r.Strip, w.strip)
				break
			}
		}
		if count < len(r.Strip)/2 {
			t.Errorf("probe %s: strip %v, want mostly %s", name, r.Strip, w.strip)
		}
	}
	if rows["slow"].Threshold != "SLO ≤ 20 ms" {
		t.Errorf("slow probe's threshold %q", rows["slow"].Threshold)
	}
	if len(f.ShopAlerts) != 2 || !strings.Contains(f.ShopAlerts[0], "firing: page firing since ") {
		t.Errorf("shop's alerts %q", f.ShopAlerts)
	}
	if !strings.HasPrefix(f.ShopBudget, "error budget spent: ") {
		t.Errorf("shop's budget %q", f.ShopBudget)
	}
	texts := strings.Join(f.ChartTexts, "|")
	for _, w := range []string{"100%", "0%", "objective 99%: budget spent"} {
		if !strings.Contains(texts, w) {
			t.Errorf("chart lacks %q: %s", w, texts)
		}
	}
	if !f.Objective || f.Polyline < 2 {
		t.Errorf("chart: objective line %v, %d points", f.Objective, f.Polyline)
	}

	// The incident page shows what the API says.
	_, body := get(t, ta.web.URL+"/api/v1/incidents/1")
	var inc struct {
		Title    string `json:"title"`
		Timeline []any  `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(body), &inc); err != nil {
		t.Fatal(err)
	}
	var ip struct {
		H1       string `json:"h1"`
		Timeline int    `json:"timeline"`
		Failed   string `json:"failed"`
		Width    int    `json:"width"`
	}
	browse(t, ta.web.URL+"/incidents/1", `({h1: document.querySelector("h1").textContent,
		timeline: document.querySelectorAll("#timeline tr.entry").length,
		failed: document.querySelector("#failed-runs").textContent,
		width: document.documentElement.scrollWidth})`, &ip)
	if ip.H1 != "Incident 1: "+inc.Title || ip.Timeline < 2 || !strings.Contains(ip.Failed, " of ") || ip.Width > 1280 {
		t.Errorf("incident page %+v, API title %q with %d entries", ip, inc.Title, len(inc.Timeline))
	}
}
