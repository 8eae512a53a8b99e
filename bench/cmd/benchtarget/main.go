// Command benchtarget is the HTTP target of the benchmark: it answers every
// request on 127.0.0.1 with a fixed-size body, optionally after an exact
// delay, and counts what it served so the real probe rate is known.
//
//	benchtarget -listen 127.0.0.1:0 [-delay 100ms] [-size 1024]
//
// It prints "listening ADDR" once it accepts connections. GET /-/count
// returns the number of requests served, not counting itself.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	fs := flag.NewFlagSet("benchtarget", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "Address to listen on.")
	delay := fs.Duration("delay", 0, "Answer each request this long after it arrived.")
	size := fs.Int("size", 1024, "Response body size in bytes.")
	_ = fs.Parse(os.Args[1:])

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	t := &target{body: bytes.Repeat([]byte("x"), *size), delay: *delay}
	mux := http.NewServeMux()
	mux.HandleFunc("/-/count", t.count)
	mux.HandleFunc("/", t.serve)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// Probes that time out reset their connections; that is
		// expected here and not worth a log line each.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	fmt.Printf("listening %s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}

type target struct {
	body   []byte
	delay  time.Duration
	served atomic.Uint64
}

func (t *target) serve(w http.ResponseWriter, r *http.Request) {
	if t.delay > 0 {
		wait(time.Now().Add(t.delay))
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Length", strconv.Itoa(len(t.body)))
	_, _ = w.Write(t.body)
	t.served.Add(1)
}

// wait sleeps until deadline and spins the last millisecond, so the delay
// is exact to a few microseconds rather than to the timer's slack; the
// accuracy measurement compares reported durations against it.
func wait(deadline time.Time) {
	if d := time.Until(deadline) - time.Millisecond; d > 0 {
		time.Sleep(d)
	}
	for time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

func (t *target) count(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintln(w, t.served.Load())
}
