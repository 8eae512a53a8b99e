package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// webhook is a receiver of Alertmanager's notifications.
type webhook struct {
	mu  sync.Mutex
	got []notification
}

type notification struct {
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		GeneratorURL string            `json:"generatorURL"`
	} `json:"alerts"`
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var n notification
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.got = append(w.got, n)
	w.mu.Unlock()
}

// count returns how many notifications of status arrived for the group
// with label value v of name.
func (w *webhook) count(name, v, status string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, g := range w.got {
		if g.GroupLabels[name] == v && g.Status == status {
			n++
		}
	}
	return n
}

func (w *webhook) all() []notification {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]notification(nil), w.got...)
}

// waitFor polls cond until it holds or d passes: an SLO's alert takes
// over a minute to resolve, longer than testutil.WaitFor's bound.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

// runNotifier runs n until the test ends.
func runNotifier(t *testing.T, n *Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func newWebhook(t *testing.T) (*webhook, string) {
	w := &webhook{}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return w, srv.URL + "/hook"
}
