package testutil

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Notification is what Alertmanager sends a webhook receiver: one group's
// alerts.
type Notification struct {
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		GeneratorURL string            `json:"generatorURL"`
	} `json:"alerts"`
}

// Webhook is a receiver of Alertmanager's notifications at URL, the hook
// StartAlertmanager routes to.
type Webhook struct {
	URL string
	mu  sync.Mutex
	got []Notification
}

// StartWebhook serves a webhook receiver on loopback until the test ends.
func StartWebhook(t testing.TB) *Webhook {
	w := &Webhook{}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	w.URL = srv.URL + "/hook"
	return w
}

func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var n Notification
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.got = append(w.got, n)
	w.mu.Unlock()
}

// All returns the notifications received so far, oldest first.
func (w *Webhook) All() []Notification {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Notification(nil), w.got...)
}

// Count returns how many notifications of status arrived for the group
// with label value v of name.
func (w *Webhook) Count(name, v, status string) int {
	n := 0
	for _, g := range w.All() {
		if g.GroupLabels[name] == v && g.Status == status {
			n++
		}
	}
	return n
}
