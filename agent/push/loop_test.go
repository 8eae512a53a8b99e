package push

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/internal/conf"
)

// A push target that hangs does not hold back the other: the daemon's
// push reaches the Pushgateway at once while remote write waits out its
// timeout.
func TestLoopDeadTargetHoldsNoOtherBack(t *testing.T) {
	quit := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-quit:
		}
	}))
	defer hang.Close()
	got := make(chan time.Time, 16)
	pg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- time.Now():
		default:
		}
	}))
	defer pg.Close()
	none := 0
	cfg := &Config{RemoteWrite: &Endpoint{URL: hang.URL + "/api/v1/write"}, Pushgateway: &PushgatewayConfig{Endpoint{URL: pg.URL}},
		Interval: conf.Duration(100 * time.Millisecond), Timeout: conf.Duration(5 * time.Second), MaxRetries: &none}
	cfg.ApplyDefaults()
	m := &Metrics{
		Pushes:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "p"}, []string{"target"}),
		Failures:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f"}, []string{"target"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "l"}, []string{"target"}),
	}
	l := &Loop{Current: func() (*Config, string) { return cfg, "edge" }, Gather: func() ([]*dto.MetricFamily, error) { return nil, nil },
		Now: time.Now, Log: slog.New(slog.DiscardHandler), Metrics: m}
	begin := time.Now()
	stop := l.Start(context.Background())
	defer stop()
	defer close(quit) // first: the hanging target answers the last push, and Close waits for none
	select {
	case at := <-got:
		if took := at.Sub(begin); took > 3*time.Second {
			t.Errorf("the Pushgateway got its push after %s, behind the hanging remote write", took)
		}
	case <-time.After(4 * time.Second): // the hanging target takes 5 s
		t.Fatal("no push reached the Pushgateway while remote write hung")
	}
}
