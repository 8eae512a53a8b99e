package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// window counts a target's log: the requests in one interval, the busiest
// second, and the probes that ran twice within half the interval.
func TestHerdWindow(t *testing.T) {
	since := time.Unix(1_800_000_000, 0)
	at := func(d time.Duration, path string) string {
		return fmt.Sprintf("%d %s\n", since.Add(d).UnixNano(), path)
	}
	log := at(100*time.Millisecond, "/p1") + at(200*time.Millisecond, "/p2") + at(900*time.Millisecond, "/p3") +
		at(5*time.Second, "/p4") + at(20*time.Second, "/p1") + at(50*time.Second, "/p2") +
		at(61*time.Second, "/p3") // after the interval
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/hits" || !strings.HasPrefix(r.URL.RawQuery, "since=") {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, log)
	}))
	defer srv.Close()
	b := &bench{client: srv.Client()}
	w, err := (&target{base: srv.URL}).window(b, since, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// p1 ran twice 19.9 s apart (under half a minute); p2 49.8 s apart.
	if w.requests != 6 || w.peak != 3 || w.twice != 1 {
		t.Errorf("window %+v, want 6 requests, 3 in the busiest second, 1 probe run twice", w)
	}
}
