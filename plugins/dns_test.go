package plugins

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/sloagent/sloagent/probes"
)

// dnsServer answers on 127.0.0.1 over UDP and TCP (same port): www.test. A
// 192.0.2.10 and 192.0.2.11, txt.test. TXT (truncated over UDP, so the
// client must retry over TCP), fail.test. SERVFAIL, anything else NXDOMAIN.
func dnsServer(t *testing.T) string {
	t.Helper()
	var pc net.PacketConn
	var ln net.Listener
	for {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	t.Cleanup(func() { pc.Close(); ln.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := dnsAnswer(buf[:n], true); out != nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				out := dnsAnswer(q, false)
				c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...))
			}()
		}
	}()
	return pc.LocalAddr().String()
}

func dnsAnswer(query []byte, udp bool) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired}
	hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	var answers []func(b *dnsmessage.Builder) error
	switch {
	case q.Name.String() == "www.test." && q.Type == dnsmessage.TypeA:
		for _, ip := range [][4]byte{{192, 0, 2, 10}, {192, 0, 2, 11}} {
			answers = append(answers, func(b *dnsmessage.Builder) error { return b.AResource(hdr, dnsmessage.AResource{A: ip}) })
		}
	case q.Name.String() == "txt.test." && udp:
		rh.Truncated = true
	case q.Name.String() == "txt.test.":
		answers = append(answers, func(b *dnsmessage.Builder) error {
			return b.TXTResource(hdr, dnsmessage.TXTResource{TXT: []string{"v=spf1 -all"}})
		})
	case q.Name.String() == "fail.test.":
		rh.RCode = dnsmessage.RCodeServerFailure
	case q.Name.String() != "www.test.":
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	for _, a := range answers {
		if err := a(&b); err != nil {
			return nil
		}
	}
	out, _ := b.Finish()
	return out
}

func TestDNSPlugin(t *testing.T) {
	t.Parallel()
	server := dnsServer(t)
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	s, _ := supervise(t, Config{Name: "dns", Command: pluginPath(t, "dns")})
	waitRunning(t, s)
	for _, tc := range []struct {
		name, target string
		settings     map[string]any
		reason       string
		message      string
	}{
		{"A", server, map[string]any{"query_name": "www.test", "expect_types": []any{"A"}, "expect_values": []any{"192.0.2.11"}}, "", "NOERROR answered 2 records"},
		{"wrong value", server, map[string]any{"query_name": "www.test", "expect_values": []any{"192.0.2.99"}}, probes.ReasonAssertion, "192.0.2.10, 192.0.2.11"},
		{"wrong type", server, map[string]any{"query_name": "www.test", "query_type": "AAAA", "expect_types": []any{"AAAA"}}, probes.ReasonAssertion, "no AAAA record"},
		{"nxdomain", server, map[string]any{"query_name": "nope.test"}, "rcode", "NXDOMAIN"},
		{"nxdomain wanted", server, map[string]any{"query_name": "nope.test", "valid_rcodes": []any{"NXDOMAIN"}}, "", "NXDOMAIN"},
		{"servfail", server, map[string]any{"query_name": "fail.test"}, "rcode", "SERVFAIL"},
		{"truncated, retried over tcp", server, map[string]any{"query_name": "txt.test", "query_type": "TXT", "expect_values": []any{"v=spf1 -all"}}, "", "answered 1"},
		{"tcp", server, map[string]any{"query_name": "www.test", "transport": "tcp"}, "", "answered 2"},
		{"no answer", silent.LocalAddr().String(), map[string]any{"query_name": "www.test"}, probes.ReasonTimeout, ""},
		{"missing name", server, nil, "config", "query_name is required"},
		{"bad type", server, map[string]any{"query_name": "www.test", "query_type": "BOGUS"}, "config", "unsupported query_type"},
	} {
		r := run(t, s, tc.target, &ProbeConfig{Name: "dns", Settings: tc.settings}, time.Second)
		if r.Success != (tc.reason == "") || r.Reason != tc.reason || !strings.Contains(r.Message, tc.message) {
			t.Errorf("%s: %+v", tc.name, r)
		}
		if tc.name == "A" {
			found := false
			for _, smp := range r.Samples {
				if smp.Name == "probe_dns_answer_rrs" && smp.Value == 2 {
					found = true
				}
			}
			if !found {
				t.Errorf("samples: %+v", r.Samples)
			}
		}
	}
}
