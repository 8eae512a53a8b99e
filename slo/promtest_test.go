package slo

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sloagent/sloagent/internal/testutil"
)

// serveEngine serves e's metrics on loopback until the test ends and
// returns the address to scrape.
func serveEngine(t *testing.T, e *Engine) string {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector())
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// rulesPrometheus runs Prometheus with the rules generated for cfgs,
// scraping targets and evaluating every 500ms.
func rulesPrometheus(t *testing.T, cfgs []Config, targets ...string) *testutil.Prometheus {
	t.Helper()
	rules, err := Rules(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(targets))
	for i, a := range targets {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	config := fmt.Sprintf(`global: {scrape_interval: 500ms, evaluation_interval: 500ms}
rule_files: [rules.yml]
scrape_configs:
  - job_name: sloagent
    static_configs: [{targets: [%s]}]
`, strings.Join(quoted, ", "))
	return testutil.StartPrometheus(t, config, map[string]string{"rules.yml": string(rules)}, "--log.level=warn")
}
