// Command benchgen runs HTTP requests on the agent's schedule for the
// benchmark: straight at the target with net/http (-mode direct, the
// floor), or through blackbox_exporter's /probe (-mode blackbox).
//
//	benchgen -mode direct -url http://127.0.0.1:PORT/ -n 200 [-interval 1s] [-timeout 900ms] [-record]
//
// Each line "stats" on stdin is answered with one JSON line of the counts
// so far on stdout; the generator stops when stdin closes.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/gen"
)

func main() {
	fs := flag.NewFlagSet("benchgen", flag.ExitOnError)
	mode := fs.String("mode", "direct", "direct: GET the URL; blackbox: the URL is blackbox_exporter's /probe.")
	url := fs.String("url", "", "URL to request.")
	g := &gen.Generator{}
	fs.IntVar(&g.N, "n", 100, "Number of probes.")
	fs.DurationVar(&g.Interval, "interval", time.Second, "Interval of each probe.")
	fs.DurationVar(&g.Timeout, "timeout", 900*time.Millisecond, "Timeout of each run.")
	fs.BoolVar(&g.Record, "record", false, "Keep every run's reported duration.")
	_ = fs.Parse(os.Args[1:])
	switch *mode {
	case "direct":
		g.Run = gen.Direct(*url)
	case "blackbox":
		g.Run = gen.Blackbox(*url, g.Timeout)
	default:
		fmt.Fprintf(os.Stderr, "benchgen: unknown -mode %q\n", *mode)
		os.Exit(2)
	}
	if *url == "" {
		fmt.Fprintln(os.Stderr, "benchgen: -url is required")
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g.Start(ctx)

	enc := json.NewEncoder(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "stats" {
			continue
		}
		if err := enc.Encode(g.Stats()); err != nil {
			fmt.Fprintln(os.Stderr, "benchgen:", err)
			os.Exit(1)
		}
	}
}
