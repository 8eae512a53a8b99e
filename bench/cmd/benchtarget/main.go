// Command benchtarget is the HTTP target of the benchmark: it answers every
// request on 127.0.0.1 with a fixed-size body, optionally after an exact
// delay, and counts what it served so the real probe rate is known.
//
//	benchtarget -listen 127.0.0.1:0 [-delay 100ms] [-size 1024]
//
// It prints "listening ADDR" once it accepts connections. GET /-/count
// returns the number of requests served, not counting itself. With a delay,
// GET /-/delays returns "n sum sumsq" of the seconds from accepting each
// connection to having written its answer: the delay as it really was,
// since the machine may wake the target late.
//
// With -log it also keeps the path and time of every request served: GET
// /-/hits?since=NANOS returns "NANOS PATH SECONDS" lines of those served
// since then: when the answer was written (Unix nanoseconds), the path, and
// the seconds from accepting the connection to then. They count what each
// probe's target saw, and give each run's true duration.
//
// It speaks just enough HTTP/1.1 for a GET and closes every connection
// after one answer, with a response written ahead of time: the target
// shares the machine's cores with the systems being measured, so the less
// it costs the more the figures say about them.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sloagent/sloagent/bench/internal/listen"
)

func main() {
	fs := flag.NewFlagSet("benchtarget", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:0", "Address to listen on, on 127.0.0.1.")
	delay := fs.Duration("delay", 0, "Answer each request this long after it arrived.")
	size := fs.Int("size", 1024, "Response body size in bytes.")
	logHits := fs.Bool("log", false, "Keep the path and time of every request, for GET /-/hits.")
	_ = fs.Parse(os.Args[1:])

	ln, err := listen.TCP(*addr)
	if err != nil {
		log.Fatal(err)
	}
	t := &target{answer: response("200 OK", bytes.Repeat([]byte("x"), *size)), delay: *delay, logHits: *logHits}
	t.bufs.New = func() any { b := make([]byte, 4096); return &b }
	listen.Announce(os.Stdout, ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			log.Fatal(err)
		}
		go t.serve(c)
	}
}

type target struct {
	answer []byte
	delay  time.Duration
	served atomic.Uint64
	bufs   sync.Pool

	mu              sync.Mutex
	n               int
	sum, sumSquares float64

	logHits bool
	hits    []hit // under mu
}

// hit is one request served: when, and the path asked for.
type hit struct {
	at   int64
	path string
	took float64 // seconds from accepting the connection to the answer written
}

func response(status string, body []byte) []byte {
	head := "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
	return append([]byte(head), body...)
}

// serve reads one request head and answers it.
func (t *target) serve(c net.Conn) {
	accepted := time.Now()
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	bp := t.bufs.Get().(*[]byte)
	defer t.bufs.Put(bp)
	buf := *bp
	n := 0
	for {
		m, err := c.Read(buf[n:])
		n += m
		if bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
			break
		}
		if err != nil || n == len(buf) {
			return // gone, or a head larger than any probe sends
		}
	}
	arrived := time.Now()
	line, _, _ := bytes.Cut(buf[:n], []byte("\r\n"))
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		_, _ = c.Write(response("400 Bad Request", nil))
		return
	}
	switch string(fields[1]) {
	case "/-/count":
		_, _ = c.Write(response("200 OK", []byte(strconv.FormatUint(t.served.Load(), 10)+"\n")))
		return
	case "/-/delays":
		t.mu.Lock()
		stats := fmt.Sprintf("%d %g %g\n", t.n, t.sum, t.sumSquares)
		t.mu.Unlock()
		_, _ = c.Write(response("200 OK", []byte(stats)))
		return
	}
	if p, q, _ := strings.Cut(string(fields[1]), "?"); p == "/-/hits" {
		since, _ := strconv.ParseInt(strings.TrimPrefix(q, "since="), 10, 64)
		var b bytes.Buffer
		t.mu.Lock()
		for _, h := range t.hits {
			if h.at >= since {
				fmt.Fprintf(&b, "%d %s %g\n", h.at, h.path, h.took)
			}
		}
		t.mu.Unlock()
		_, _ = c.Write(response("200 OK", b.Bytes()))
		return
	}
	if t.delay > 0 {
		wait(arrived.Add(t.delay))
	}
	if _, err := c.Write(t.answer); err == nil {
		t.served.Add(1)
		written := time.Now()
		took := written.Sub(accepted).Seconds()
		if t.logHits {
			t.mu.Lock()
			t.hits = append(t.hits, hit{written.UnixNano(), string(fields[1]), took})
			t.mu.Unlock()
		}
		if t.delay > 0 {
			t.mu.Lock()
			t.n++
			t.sum += took
			t.sumSquares += took * took
			t.mu.Unlock()
		}
	}
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
