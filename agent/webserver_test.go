package agent

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func valueOf(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	return metricValue(&d)
}

// The guard closes the longest-waiting idle connection to make room, and
// refuses a new one only when every connection is busy with a request.
func TestConnGuard(t *testing.T) {
	m := newSelfMetrics()
	g := newConnGuard(2, m)
	pipe := func() net.Conn {
		c, other := net.Pipe()
		t.Cleanup(func() { c.Close(); other.Close() })
		return c
	}
	c1, c2, c3, c4 := pipe(), pipe(), pipe(), pipe()
	if !g.admit(c1) || !g.admit(c2) {
		t.Fatal("room for two")
	}
	g.connState(c1, http.StateActive)
	g.connState(c2, http.StateActive)
	if g.admit(c3) {
		t.Fatal("a third admitted while both serve requests")
	}
	if v := valueOf(t, m.webRefused); v != 1 {
		t.Errorf("refused %v", v)
	}
	g.connState(c2, http.StateIdle)
	time.Sleep(time.Millisecond)
	g.connState(c1, http.StateIdle)
	if !g.admit(c3) {
		t.Fatal("an idle connection should have made room")
	}
	// c2 waited longest: it is the one closed.
	if _, err := c2.Write([]byte("x")); err == nil {
		t.Error("the longest idle connection is still open")
	}
	if v := valueOf(t, m.webEvicted); v != 1 {
		t.Errorf("evicted %v", v)
	}
	g.connState(c1, http.StateClosed)
	if !g.admit(c4) || valueOf(t, m.webConns) != 2 {
		t.Errorf("open %v", valueOf(t, m.webConns))
	}
}

// Under a low limit on open files, hundreds of idle keep-alive connections
// to the web server neither make probes fail ("too many open files") nor
// keep /metrics from answering.
func TestIdleConnectionsStarveNothing(t *testing.T) {
	const fds = 300
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer target.Close()
	var cfg strings.Builder
	cfg.WriteString("probes:\n")
	for i := range 5 {
		fmt.Fprintf(&cfg, "  - {name: p%d, target: '%s', interval: 200ms, timeout: 190ms}\n", i, target.URL)
	}
	cfgFile := filepath.Join(t.TempDir(), "sloagent.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startCommand(t, func(bin string, args ...string) *exec.Cmd {
		// Soft and hard: the agent cannot raise it.
		return exec.Command("sh", append([]string{"-c", `ulimit -n ` + strconv.Itoa(fds) + ` && exec "$0" "$@"`, bin}, args...)...)
	}, "--config.file="+cfgFile)
	if !strings.Contains(p.logs.String(), "max_connections="+strconv.Itoa(fds/webConnShare)) {
		t.Errorf("the web server's limit is not a quarter of the open files:\n%s", p.logs.String())
	}

	// Open 400 connections and hold each idle after a request, as long
	// as the agent keeps it open.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 400 {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		c.SetDeadline(time.Now().Add(10 * time.Second)) // an agent out of descriptors never answers
		fmt.Fprintf(c, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatalf("connection %d: %v", len(held), err)
		}
	}

	runs := func() (total, failed, evicted float64) {
		// A new client each time, as a scrape that comes while the
		// connections are held; the agent may close an idle one.
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get("http://" + p.addr + "/metrics")
		if err != nil {
			t.Fatalf("/metrics with 400 connections held: %v", err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			switch {
			case strings.HasPrefix(f[0], "probe_runs_total{"):
				total += v
			case strings.HasPrefix(f[0], "probe_failures_total{") && !strings.Contains(f[0], `reason="timeout"`):
				// A timeout is this busy test's CPU; running out of
				// descriptors fails a run with connect.
				failed += v
			case strings.HasPrefix(f[0], "sloagent_web_connections_evicted_total{"):
				evicted = v
			}
		}
		return total, failed, evicted
	}
	before, _, _ := runs()
	time.Sleep(3 * time.Second) // some 75 runs, with the connections held
	after, failed, evicted := runs()
	if evicted == 0 {
		t.Error("no idle connection was closed to make room")
	}
	if after-before < 25 {
		t.Errorf("%v runs in 3 s with the connections held", after-before)
	}
	if failed > 0 || strings.Contains(p.logs.String(), "too many open files") {
		t.Errorf("%v runs failed:\n%s", failed, p.logs.String())
	}
}

// Every phase of a connection has a time limit: one that sends its
// request slowly, reads its response slowly, or idles between requests
// is closed, and not only one slow to send its header.
func TestWebServerTimeouts(t *testing.T) {
	s := newWebServer(http.NotFoundHandler(), newConnGuard(4, newSelfMetrics()))
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": s.ReadHeaderTimeout,
		"ReadTimeout": s.ReadTimeout, "WriteTimeout": s.WriteTimeout, "IdleTimeout": s.IdleTimeout} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s is %s", name, d)
		}
	}
	if s.ReadHeaderTimeout > s.ReadTimeout {
		t.Errorf("the header may take %s, the whole request %s", s.ReadHeaderTimeout, s.ReadTimeout)
	}
	if s.ConnState == nil {
		t.Error("the connection guard does not follow the connections")
	}
}
