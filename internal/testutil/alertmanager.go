package testutil

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// StartAlertmanager runs Debian's Alertmanager on loopback, routing every
// alert to a webhook at hook (send_resolved on), one group per alertname,
// slo, probe and severity, notified within about a second (group_wait and
// group_interval 1s, repeat_interval 1h), and waits until it listens.
// webConfig, if not empty, is its --web.config.file (TLS, basic auth),
// and the URL is https then. Gossip is off. It returns the Alertmanager's
// URL.
func StartAlertmanager(t testing.TB, hook, webConfig string) string {
	t.Helper()
	bin := LookPath(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, slo, probe, severity]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %q
        send_resolved: true
`, hook)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	args := []string{"--config.file=" + filepath.Join(dir, "am.yml"), "--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--cluster.listen-address=", "--log.level=warn"}
	scheme := "http"
	if webConfig != "" {
		if err := os.WriteFile(filepath.Join(dir, "web.yml"), []byte(webConfig), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--web.config.file="+filepath.Join(dir, "web.yml"))
		scheme = "https"
	}
	Start(t, bin, args...)
	WaitFor(t, "alertmanager to listen on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return scheme + "://" + addr
}
