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
	req, _ := http.NewRequest("GET", "https://"+p.addr+"/metrics", nil)
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
