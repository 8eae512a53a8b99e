// Command kindtarget is a target of the benchmark for the tcp, dns and grpc
// probe kinds: a TCP server that greets and closes, a DNS server on UDP
// answering A queries, or a gRPC server with the standard health service.
// It counts the probes it answered, so the real rate is known.
//
//	kindtarget -kind tcp|dns|grpc
//
// It prints "listening ADDR COUNTADDR" once it serves: ADDR is what probes
// target, and GET http://COUNTADDR/-/count returns how many it answered.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/miekg/dns"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/sloagent/sloagent/bench/internal/listen"
)

func main() {
	fs := flag.NewFlagSet("kindtarget", flag.ExitOnError)
	kind := fs.String("kind", "tcp", "tcp, dns or grpc.")
	_ = fs.Parse(os.Args[1:])

	var served atomic.Uint64
	counter, err := listen.TCP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(counter, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, strconv.FormatUint(served.Load(), 10)+"\n")
	}))

	switch *kind {
	case "tcp":
		ln, err := listen.TCP("127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		listen.Announce(os.Stdout, ln.Addr(), counter.Addr())
		greeting := []byte("+OK ready\r\n")
		for {
			c, err := ln.Accept()
			if err != nil {
				log.Fatal(err)
			}
			go func() {
				c.Write(greeting)
				c.Close()
				served.Add(1)
			}()
		}
	case "dns":
		pc, err := listen.UDP("127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			if len(req.Question) == 1 && req.Question[0].Qtype == dns.TypeA {
				rr, _ := dns.NewRR(req.Question[0].Name + " 60 IN A 192.0.2.1")
				m.Answer = []dns.RR{rr}
			}
			w.WriteMsg(m)
			served.Add(1)
		})}
		srv.NotifyStartedFunc = func() { listen.Announce(os.Stdout, pc.LocalAddr(), counter.Addr()) }
		log.Fatal(srv.ActivateAndServe())
	case "grpc":
		ln, err := listen.TCP("127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			served.Add(1)
			return h(ctx, req)
		}))
		grpc_health_v1.RegisterHealthServer(srv, health.NewServer())
		listen.Announce(os.Stdout, ln.Addr(), counter.Addr())
		log.Fatal(srv.Serve(ln))
	default:
		log.Fatalf("unknown -kind %q (use tcp, dns or grpc)", *kind)
	}
}
