package agent

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sloagent/sloagent/internal/testutil"
)

// --web.config.file turns on TLS and basic auth through exporter-toolkit.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := testutil.SelfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, []byte(fmt.Sprintf(
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prom: %s\n", certFile, keyFile, hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	ok, _ := targets(t)
	cfgFile := filepath.Join(dir, "sloagent.yml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("probes:\n  - {name: up, target: %s}\n", ok.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startBinary(t, "--config.file="+cfgFile, "--web.config.file="+webCfg)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test's own self-signed certificate
	}}
	if resp, err := client.Get("http://" + p.addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served metrics with TLS configured")
		}
	}
	resp, err := client.Get("https://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", resp.StatusCode)
	}
	// Every endpoint, a run and a reload included, wants the credentials.
	for _, r := range []struct{ method, path string }{{"GET", "/"}, {"GET", "/config"}, {"GET", "/probes/up/run"},
		{"POST", "/probes/up/run?debug=true"}, {"POST", "/-/reload"}, {"GET", "/diagnostics/x.png"}, {"GET", "/-/ready"}} {
		req, _ := http.NewRequest(r.method, "https://"+p.addr+r.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d, want 401", r.method, r.path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", "https://"+p.addr+"/probes/up/run", nil)
	req.SetBasicAuth("prom", "s3cret")
	if resp, err := client.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusOK {
		t.Errorf("POST run with credentials: %d, want 200", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", "https://"+p.addr+"/metrics", nil)
	req.SetBasicAuth("prom", "s3cret")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with credentials: %d, want 200", resp.StatusCode)
	}
}
