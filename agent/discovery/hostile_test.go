package discovery

import (
	"bytes"
	"compress/gzip"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/conf"
	tu "github.com/sloagent/sloagent/internal/testutil"
)

const goodTargets = `[{"targets": ["10.0.0.1:80", "10.0.0.2:80"], "labels": {"dc": "fra"}}]`

// An http_sd endpoint that turns hostile after a good answer: each answer
// fails the refresh with an error that says what was wrong, within the
// timeout, and the targets of the good answer stay.
func TestHTTPSourceHostile(t *testing.T) {
	t.Parallel()
	gzipBomb := func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write([]byte(`[{"targets": ["a:1"], "labels": {"x": "`))
		zeros := make([]byte, 1<<20)
		for range 64 {
			zw.Write(zeros)
		}
		zw.Write([]byte(`"}}]`))
		zw.Close()
		return b.Bytes()
	}()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"targets": ["a:1"], "labels": {"x": "`))
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "body_too_large"},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipBomb)
		}, `Content-Encoding "gzip"`},
		{"no headers", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, "timeout"},
		{"stalls in the body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"targets": [`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "timeout"},
		{"login page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Please log in</body></html>"))
		}, `Content-Type "text/html"`},
		{"endless Content-Type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; "+strings.Repeat("x", 64<<10))
			w.Write([]byte("<html></html>"))
		}, `(Content-Type "text/html; ` + strings.Repeat("x", 53) + `"): not a YAML list`},
		{"endless malformed header", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Junk", "\x7f"+strings.Repeat("x", 64<<10))
			w.Write([]byte(goodTargets))
		}, "bytes cut] " + strings.Repeat("x", 100)},
		{"cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"targets": ["a:1"]`))
		}, "line 1, column 21"},
		{"wrong type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("[\n{\"targets\": \"a:1\"}]"))
		}, "line 2, column 18"},
		{"two lists", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"targets": ["a:1"]}] [{"targets": ["b:1"]}]`))
		}, "the list ends at line 1, column 23, but more follows"},
		{"empty target", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[{"targets": ["a:1", " "]}]`))
		}, "group 0: target 1 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hostile atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hostile.Load() {
					tc.handler(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(goodTargets))
			}))
			defer srv.Close()
			// Only answers that stall end by the timeout, so theirs is
			// short; every other answer must fail by what it holds,
			// however slow the machine.
			timeout := time.Minute
			if tc.want == "timeout" {
				timeout = time.Second
			}
			c := HTTPSDConfig{URL: conf.URL(srv.URL), Timeout: conf.Duration(timeout)}
			c.ApplyDefaults()
			var logs tu.Buffer
			m := NewManager(slog.New(slog.NewTextHandler(&logs, nil)), testMetrics(), func() {})
			defer m.Stop()
			m.Update([]Spec{{Name: "s", Key: Key(c), Interval: c.RefreshInterval.D(), New: func() (Source, error) { return NewHTTPSource(c) }}})
			if n := len(m.Targets("s")); n != 2 {
				t.Fatalf("%d targets from the good answer", n)
			}
			hostile.Store(true)
			m.refresh(t.Context(), m.sources["s"])
			st := m.Status()
			if len(m.Targets("s")) != 2 || len(st) != 1 || st[0].Failures != 1 {
				t.Fatalf("after the hostile answer: %d targets, status %+v", len(m.Targets("s")), st)
			}
			if !strings.Contains(st[0].Error, tc.want) || !strings.Contains(st[0].Error, srv.URL) || len(st[0].Error) > 1024 {
				t.Errorf("error %q does not name the URL and %q", st[0].Error, tc.want)
			}
		})
	}
}

// A target file that is not one list of target groups fails the refresh
// with an error that names the file and the place, and keeps the targets
// of the last good read; a file with a second list after the first is
// refused rather than read in half.
func TestFileSourceHostile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"two JSON lists", "t.json", "[{\"targets\": [\"a:1\"]}]\n[{\"targets\": [\"b:1\"]}]",
			"not a JSON list of target groups: the list ends at line 1, column 23, but more follows"},
		{"two YAML documents", "t.yml", "- targets: [a:1]\n---\n- targets: [b:1]\n",
			"not a YAML list of target groups: a second document at line 2 (a file holds one list)"},
		{"JSON syntax", "t.json", "\n\n[{\"targets\": [\"a:1\",]}]",
			"not a JSON list of target groups: line 3, column 21: invalid character ']' looking for beginning of value"},
		{"unknown key", "t.json", "[{\"targets\": [\"a:1\"],\n  \"label\": {}}]",
			`not a JSON list of target groups: line 2, column 16: json: unknown field "label"`},
		{"not a list", "t.yml", "targets: [a:1]\n",
			"not a YAML list of target groups: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into []discovery.Group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			writeFile(t, path, `[{"targets": ["10.0.0.1:80", "10.0.0.2:80"]}]`)
			m := NewManager(slog.New(slog.DiscardHandler), testMetrics(), func() {})
			defer m.Stop()
			c := FileSDConfig{Files: []string{path}}
			c.ApplyDefaults()
			m.Update([]Spec{{Name: "f", Key: Key(c), Interval: c.RefreshInterval.D(), New: func() (Source, error) { return NewFileSource(c), nil }}})
			writeFile(t, path, tc.content)
			m.refresh(t.Context(), m.sources["f"])
			st := m.Status()
			if len(m.Targets("f")) != 2 || len(st) != 1 || st[0].Error != path+": "+tc.want {
				t.Errorf("%d targets, error:\n%s\nwant:\n%s", len(m.Targets("f")), st[0].Error, path+": "+tc.want)
			}
		})
	}
}
