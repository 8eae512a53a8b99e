package agent

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/internal/expo"
)

// Scrapers that do not read what /metrics writes hold copies of no more
// probes' series than the budget: more wait for one of them to end, and
// leave when their client goes away without writing anything.
func TestStalledScrapesAreBounded(t *testing.T) {
	ok, _ := targets(t)
	ta := startAgent(t, fmt.Sprintf("probes:\n  - {name: up, target: %s, interval: 1h}\n", ok.URL))
	// Each response stalls in its exposition until released, as one does
	// whose client stopped reading.
	var writing atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	e := ta.expo.Load()
	ta.expo.Store(&expo.Exposition{Sources: e.Sources, Rest: gathererFunc(func() ([]*dto.MetricFamily, error) {
		writing.Add(1)
		<-release
		return e.Rest.Gather()
	})})
	// A scrape of one probe weighs 2: the budget fits fit of them.
	const fit = 4
	ta.scrapeBudget = 2 * fit
	var arrived, left atomic.Int64
	h := ta.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		defer left.Add(1)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer once.Do(func() { close(release) }) // before the server closes
	scrape := func(ctx context.Context) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}

	var wg sync.WaitGroup
	for range fit {
		wg.Go(func() {
			if code, body, err := scrape(context.Background()); err != nil || code != http.StatusOK || !strings.Contains(body, "sloagent_build_info{") {
				t.Errorf("scrape: %d %v\n%.300s", code, err, body)
			}
		})
	}
	waitFor(t, "the first scrapes to stall", func() bool { return writing.Load() == fit })
	ctx, cancel := context.WithCancel(context.Background())
	for range 4 {
		wg.Go(func() {
			if _, _, err := scrape(ctx); err == nil {
				t.Error("a scrape that was given up answered")
			}
		})
	}
	waitFor(t, "the next scrapes to reach the agent", func() bool { return arrived.Load() == fit+4 })
	cancel()
	waitFor(t, "the scrapes given up to leave", func() bool { return left.Load() == 4 })
	once.Do(func() { close(release) })
	wg.Wait()
	if n := writing.Load(); n != fit {
		t.Errorf("%d expositions were written, want %d: the scrapes given up while they waited wrote one", n, fit)
	}
}
