package http

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func newClient(t *testing.T, src string) *Client {
	t.Helper()
	c, err := NewClient(probetest.Section[Config](t, src+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func do(t *testing.T, c *Client, req Request) Exchange {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	ex, err := c.Do(ctx, req, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Do(%+v): %v", req, err)
	}
	return ex
}

// A multi-step check logs in, takes a token from the body and a cookie,
// and calls the next endpoint with them.
func TestClientSteps(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			if r.Method != http.MethodPost || r.Header.Get("X-Api-Key") != "k" {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			body, _ := io.ReadAll(r.Body)
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"token": "t-`+string(body)+`"}`)
		case "/orders":
			if c, err := r.Cookie("session"); err != nil || c.Value != "s1" || r.Header.Get("Authorization") != "Bearer t-alice" {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			io.WriteString(w, `[1, 2]`)
		}
	})
	c := newClient(t, "headers: {X-Api-Key: k}")
	jar, _ := cookiejar.New(nil)

	login := do(t, c, Request{Method: "POST", URL: s.URL + "/login", Body: []byte("alice"), Jar: jar})
	if login.Failure != nil {
		t.Fatal(login.Failure)
	}
	r := login.Response
	if r.StatusCode != 200 || string(r.Body) != `{"token": "t-alice"}` || r.Header.Get("Content-Type") != "application/json" || r.Proto != "HTTP/1.1" {
		t.Fatalf("login: %+v %q", r, r.Body)
	}
	if r.BodyLength != int64(len(r.Body)) || r.ContentLength != int64(len(r.Body)) || r.TLS != nil || r.URL.Path != "/login" {
		t.Errorf("login response %+v", r)
	}
	if !strings.HasPrefix(r.Addr, "127.0.0.1:") || login.Phases.Connect <= 0 || login.Phases.Processing <= 0 || login.Duration < login.Phases.Connect {
		t.Errorf("addr %q, phases %+v, duration %s", r.Addr, login.Phases, login.Duration)
	}

	orders := do(t, c, Request{URL: s.URL + "/orders", Header: http.Header{"Authorization": {"Bearer t-alice"}}, Jar: jar})
	if orders.Failure != nil || orders.Response.StatusCode != 200 || string(orders.Response.Body) != "[1, 2]" {
		t.Fatalf("orders: %+v %v", orders.Response, orders.Failure)
	}
	// Without the jar, the cookie stays behind; a status is not a
	// failure of the client's.
	alone := do(t, c, Request{URL: s.URL + "/orders", Header: http.Header{"Authorization": {"Bearer t-alice"}}})
	if alone.Failure != nil || alone.Response.StatusCode != http.StatusUnauthorized || !strings.Contains(string(alone.Response.Body), "who are you") {
		t.Errorf("without the jar: %+v %v", alone.Response, alone.Failure)
	}
}

func TestClientFailures(t *testing.T) {
	c := newClient(t, "body_size_limit: 1KiB\ncompression: gzip")
	if _, err := c.Do(context.Background(), Request{URL: "ftp://x.test/"}, nil); err == nil {
		t.Error("Do took an ftp:// URL")
	}
	if _, err := c.Do(context.Background(), Request{URL: "http://x.test/", Method: "BAD METHOD"}, nil); err == nil {
		t.Error("Do took a bad method")
	}

	refused := do(t, c, Request{URL: "http://127.0.0.1:1/"})
	if refused.Response != nil || refused.Failure == nil || refused.Failure.Reason != probes.ReasonConnect {
		t.Errorf("refused: %+v %v", refused.Response, refused.Failure)
	}

	big := server(t, sends(200, "gzip", encode(t, "gzip", make([]byte, 4096))))
	ex := do(t, c, Request{URL: big.URL})
	if ex.Failure == nil || ex.Failure.Reason != probes.ReasonBodyTooLarge || ex.Response == nil || ex.Response.BodyLength != 1024 {
		t.Errorf("too large: %+v %v", ex.Response, ex.Failure)
	}

	hang := server(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), shortTimeout)
	defer cancel()
	ex, _ = c.Do(ctx, Request{URL: hang.URL}, nil)
	if ex.Failure == nil || ex.Failure.Reason != probes.ReasonTimeout || !strings.Contains(ex.Failure.Error(), "waiting for the response (processing phase)") {
		t.Errorf("hang: %v", ex.Failure)
	}
}

// The client decodes bodies as configured, follows redirects as a probe
// does, and is safe to use from many goroutines.
func TestClientConcurrent(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/r" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		sends(200, "br", encode(t, "br", testMsg))(w, r)
	})
	c := newClient(t, "compression: br")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				ex, err := c.Do(ctx, Request{URL: s.URL + "/r"}, nil)
				cancel()
				if err != nil || ex.Failure != nil || string(ex.Response.Body) != string(testMsg) || ex.Redirects != 1 {
					t.Errorf("%v %v %+v", err, ex.Failure, ex.Response)
					return
				}
			}
		})
	}
	wg.Wait()
}
