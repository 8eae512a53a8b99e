package notify

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/slo"
)

// A probe's own alert goes to an Alertmanager that wants TLS and basic
// auth: one firing and one resolved notification. Beside it, an
// Alertmanager that answers 503 is retried and counted as failing, and
// one with the wrong password is not retried; neither holds up the first.
func TestProbeAlertNotifiesAlertmanagerOverTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := testutil.SelfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hook := testutil.StartWebhook(t)
	am := testutil.StartAlertmanager(t, hook.URL, "tls_server_config: {cert_file: "+certFile+", key_file: "+keyFile+"}\n"+
		"basic_auth_users: {agent: '"+string(hash)+"'}\n")

	var unavailable atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		unavailable.Add(1)
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	retries := 2
	ncfg := Config{Alertmanagers: []Target{
		{URL: am, BasicAuth: &BasicAuth{Username: "agent", PasswordFile: pwFile}, TLS: &TLSConfig{CAFile: certFile}},
		{URL: down.URL},
		{URL: am, BasicAuth: &BasicAuth{Username: "agent", Password: "wrong"}, TLS: &TLSConfig{CAFile: certFile}},
	}, ResendInterval: conf.Duration(time.Second), MaxRetries: &retries, MinBackoff: conf.Duration(10 * time.Millisecond)}
	ncfg.ApplyDefaults()
	r := conf.NewReport()
	ncfg.Validate(r)
	if len(r.Problems()) != 1 || r.Problems()[0].Field != "alertmanagers[2].url" {
		t.Fatalf("validation: %v", r.Problems())
	}
	n, err := New(ncfg, Source{Agent: "a1"}, testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	runNotifier(t, n)

	pa := slo.NewProbeAlerts(nil, testutil.Logger(t))
	pa.Configure(map[string]slo.ProbeAlertConfig{"api": {RunbookURL: "https://runbooks.example.com/api"}}, time.Now())
	step := func(ok bool) {
		pa.Observe("api", ok, "tls")
		pa.Evaluate(time.Now())
		n.Update(time.Now(), pa.Alerts())
	}
	for i := 0; i < 3; i++ {
		step(false)
	}
	waitFor(t, "the firing notification", 20*time.Second, func() bool { return hook.Count("probe", "api", "firing") > 0 })
	for i := 0; i < 10; i++ { // resent every second; no new notification
		time.Sleep(200 * time.Millisecond)
		step(false)
	}
	step(true)
	waitFor(t, "the resolved notification", 20*time.Second, func() bool { return hook.Count("probe", "api", "resolved") > 0 })
	for i := 0; i < 10; i++ {
		time.Sleep(200 * time.Millisecond)
		step(true)
	}
	if f, r := hook.Count("probe", "api", "firing"), hook.Count("probe", "api", "resolved"); f != 1 || r != 1 {
		t.Errorf("%d firing and %d resolved notifications, want 1 each", f, r)
	}
	a := hook.All()[0].Alerts[0]
	if a.Labels["alertname"] != slo.ProbeAlertName || a.Labels["agent"] != "a1" || a.Annotations["runbook_url"] != "https://runbooks.example.com/api" {
		t.Errorf("alert: %+v", a)
	}
	st := n.Stats()
	if st[0].Sent < 2 || st[0].Failed != 0 {
		t.Errorf("the Alertmanager: %+v", st[0])
	}
	if st[1].Sent != 0 || st[1].Failed == 0 || st[1].Requests != st[1].Errors || st[1].Requests < uint64(retries+1) ||
		unavailable.Load() != int64(st[1].Requests) || st[1].LastError == "" {
		t.Errorf("the unavailable one: %+v (%d requests seen)", st[1], unavailable.Load())
	}
	// 401 is not worth a retry: one request per batch.
	if st[2].Sent != 0 || st[2].Failed == 0 || st[2].Requests != st[2].Errors || st[2].Requests > st[2].Failed {
		t.Errorf("the one with the wrong password: %+v", st[2])
	}
}
