// Command profagent runs the agent as the sloagent binary does, plus Go's
// pprof endpoints on a separate loopback address, so the agent can be
// profiled under the benchmark's load:
//
//	profagent -pprof 127.0.0.1:6060 --config.file=F --web.listen-address=127.0.0.1:9470
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20
//
// The agent itself has no profiling endpoint; this keeps it that way.
package main

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"

	"github.com/sloagent/sloagent/agent"
)

func main() {
	args := os.Args[1:]
	addr := "127.0.0.1:6060"
	if len(args) >= 2 && args[0] == "-pprof" {
		addr, args = args[1], args[2:]
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") && !strings.HasPrefix(addr, "localhost:") {
		fmt.Fprintln(os.Stderr, "profagent: -pprof must be a loopback address")
		os.Exit(2)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		if err := http.ListenAndServe(addr, mux); err != nil {
			fmt.Fprintln(os.Stderr, "profagent:", err)
			os.Exit(1)
		}
	}()
	os.Exit(agent.Main(args, os.Stdout, os.Stderr))
}
