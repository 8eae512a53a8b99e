package testutil

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Prometheus is a real Prometheus from Debian's package, on loopback.
type Prometheus struct {
	URL  string // http://127.0.0.1:port
	Dir  string // its config and data
	Logs *Buffer
}

// StartPrometheus runs Prometheus with config (a prometheus.yml) and
// files beside it (rule files, by name), and waits until it is ready.
func StartPrometheus(t testing.TB, config string, files map[string]string, extraArgs ...string) *Prometheus {
	t.Helper()
	bin := LookPath(t, "prometheus", "prometheus")
	dir := t.TempDir()
	files = maps(files, "prometheus.yml", config)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := FreeAddr(t)
	args := append([]string{
		"--config.file=" + filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
	}, extraArgs...)
	p := &Prometheus{URL: "http://" + addr, Dir: dir}
	p.Logs = Start(t, bin, args...)
	WaitFor(t, "prometheus to be ready", func() bool {
		resp, err := http.Get(p.URL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

func maps(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

// Sample is one series of a query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant query and returns each series' labels and value; a
// query Prometheus refuses fails the test.
func (p *Prometheus) Query(t testing.TB, q string) []Sample {
	t.Helper()
	resp, err := http.Get(p.URL + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %q: %v %s %s", q, err, r.Error, body)
	}
	out := make([]Sample, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		out = append(out, Sample{Labels: s.Metric, Value: v})
	}
	return out
}

// Value runs a query that has one series and returns its value; ok is false
// when it has none or several.
func (p *Prometheus) Value(t testing.TB, q string) (v float64, ok bool) {
	t.Helper()
	s := p.Query(t, q)
	if len(s) != 1 {
		return 0, false
	}
	return s[0].Value, true
}
