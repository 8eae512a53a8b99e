package agent

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// A GET of a probe's run page runs nothing; a POST runs the probe, waiting
// for a slot under max_concurrent_runs, one at a time per probe; a POST
// from another site's page is refused.
func TestRunEndpoint(t *testing.T) {
	var requests, inFlight, most atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if r.URL.Path == "/hold" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		fmt.Fprintln(w, "ok")
	}))
	defer target.Close()
	var cfg strings.Builder
	cfg.WriteString("agent: {max_concurrent_runs: 3}\nprobes:\n")
	for i := range 8 {
		fmt.Fprintf(&cfg, "  - {name: p%d, target: '%s/hold', interval: 1h, timeout: 20s}\n", i, target.URL)
	}
	fmt.Fprintf(&cfg, "  - {name: quick, target: '%s/ok', interval: 1h}\n", target.URL)
	ta := startAgent(t, cfg.String())

	before := requests.Load()
	code, page := get(t, ta.web.URL+"/probes/quick/run?debug=true")
	if code != http.StatusOK || !strings.Contains(page, `<form method="post">`) || !strings.Contains(page, "checked") {
		t.Errorf("run page: %d\n%s", code, page)
	}
	if requests.Load() != before {
		t.Error("a GET ran the probe")
	}
	if code, _ := get(t, ta.web.URL+"/probes/nope/run"); code != http.StatusNotFound {
		t.Errorf("run page of an unknown probe: %d", code)
	}
	code, body := post(t, ta.web.URL+"/probes/quick/run?debug=true")
	if code != http.StatusOK || !strings.Contains(body, "result:   success") || !strings.Contains(body, "level=DEBUG") {
		t.Errorf("POST run: %d\n%s", code, body)
	}
	// What the page's form sends.
	resp, err := http.PostForm(ta.web.URL+"/probes/quick/run", url.Values{"debug": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("form POST: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", ta.web.URL+"/probes/quick/run", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}

	// Many runs at once: no more than max_concurrent_runs reach targets,
	// and a second run of a probe whose run is in flight is refused.
	type answer struct {
		probe string
		code  int
	}
	answers := make(chan answer, 16)
	var wg sync.WaitGroup
	for i := range 8 {
		for range 2 {
			wg.Go(func() {
				resp, err := http.Post(fmt.Sprintf("%s/probes/p%d/run", ta.web.URL, i), "text/plain", nil)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				answers <- answer{fmt.Sprintf("p%d", i), resp.StatusCode}
			})
		}
	}
	conflicts := map[string]int{}
	for range 8 { // one of each pair is refused at once
		a := <-answers
		if a.code != http.StatusConflict {
			t.Errorf("%s answered %d before the held runs ended", a.probe, a.code)
		}
		conflicts[a.probe]++
	}
	waitFor(t, "three runs to hold the target", func() bool { return inFlight.Load() == 3 })
	once.Do(func() { close(release) })
	wg.Wait()
	close(answers)
	for a := range answers {
		if a.code != http.StatusOK {
			t.Errorf("%s: %d", a.probe, a.code)
		}
	}
	if len(conflicts) != 8 {
		t.Errorf("refused runs: %v, want one of each probe", conflicts)
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d runs reached the target at once; max_concurrent_runs is 3", m)
	}
}

// A run's POST takes a small form: a larger body, such as a multipart file
// that would be spooled to disk, is refused before the probe runs, and a
// form that cannot be read is an error.
func TestRunEndpointRefusesLargeForms(t *testing.T) {
	var requests atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	}))
	defer target.Close()
	ta := startAgent(t, fmt.Sprintf("probes:\n  - {name: up, target: %s, interval: 1h}\n", target.URL))
	t.Setenv("TMPDIR", t.TempDir()) // where multipart files would go

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("debug", "large")
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for i := 0; err == nil && i < 64; i++ {
			_, err = fw.Write(chunk)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	resp, err := http.Post(ta.web.URL+"/probes/up/run", mw.FormDataContentType(), pr)
	if err == nil { // or the agent closed the connection while the body was still coming
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `the form of a run of probe "up" is larger than 64 KiB`) {
			t.Errorf("64 MiB multipart form: %d %q", resp.StatusCode, body)
		}
	}
	pr.CloseWithError(io.ErrClosedPipe)
	if n := requests.Load(); n != 0 {
		t.Errorf("a run with a 64 MiB form reached the target %d times", n)
	}

	resp, err = http.Post(ta.web.URL+"/probes/up/run", "application/x-www-form-urlencoded", strings.NewReader("debug=%zz"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `the form of a run of probe "up" cannot be read`) {
		t.Errorf("malformed form: %d %q", resp.StatusCode, body)
	}
	// A small multipart form is read, as curl -F sends it.
	var form bytes.Buffer
	mw = multipart.NewWriter(&form)
	_ = mw.WriteField("debug", "true")
	_ = mw.Close()
	resp, err = http.Post(ta.web.URL+"/probes/up/run", mw.FormDataContentType(), &form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "level=DEBUG") {
		t.Errorf("small multipart form: %d %q", resp.StatusCode, body)
	}
}
