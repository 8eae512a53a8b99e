// Command dns is a sloagent plugin that sends one DNS query to a server (the
// probe's target, host or host:port, port 53 by default) and checks the
// answer, like blackbox_exporter's dns prober.
//
// Settings:
//
//	query_name: www.example.com   # required
//	query_type: A                 # A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT; default A
//	transport: udp                # or tcp; a truncated UDP answer is retried over TCP
//	recursion_desired: true       # default true
//	valid_rcodes: [NOERROR]       # default NOERROR
//	expect_types: [A]             # every type listed must be among the answers
//	expect_values: [192.0.2.1]    # every value listed must be among the answers
package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/sloagent/sloagent/plugins/sdk"
)

type settings struct {
	QueryName        string   `json:"query_name"`
	QueryType        string   `json:"query_type"`
	Transport        string   `json:"transport"`
	RecursionDesired *bool    `json:"recursion_desired"`
	ValidRcodes      []string `json:"valid_rcodes"`
	ExpectTypes      []string `json:"expect_types"`
	ExpectValues     []string `json:"expect_values"`
}

type plugin struct{}

func (plugin) Describe() sdk.Info {
	return sdk.Info{
		Name: "dns", Version: "1.0.0",
		Description: "Queries a DNS server (the target) and checks the answer.",
		Settings: []sdk.Setting{
			{Name: "query_name", Description: "the name to resolve", Required: true},
			{Name: "query_type", Description: "record type (default A)"},
			{Name: "transport", Description: "udp (default) or tcp"},
			{Name: "recursion_desired", Description: "set the RD bit (default true)"},
			{Name: "valid_rcodes", Description: "acceptable response codes (default NOERROR)"},
			{Name: "expect_types", Description: "record types that must be among the answers"},
			{Name: "expect_values", Description: "values that must be among the answers"},
		},
		Reasons: []string{"rcode"},
	}
}

func (plugin) Probe(ctx context.Context, req sdk.Request) sdk.Response {
	var s settings
	if err := req.Decode(&s); err != nil {
		return sdk.Fail(sdk.ReasonConfig, "bad settings: %v", err)
	}
	q, err := s.question()
	if err != nil {
		return sdk.Fail(sdk.ReasonConfig, "%v", err)
	}
	server := req.Target
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	transport := s.Transport
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return sdk.Fail(sdk.ReasonConfig, "transport must be udp or tcp, not %q", transport)
	}
	start := time.Now()
	msg, err := exchange(ctx, transport, server, q, s.RecursionDesired == nil || *s.RecursionDesired)
	if err == nil && msg.Truncated && transport == "udp" {
		msg, err = exchange(ctx, "tcp", server, q, s.RecursionDesired == nil || *s.RecursionDesired)
	}
	if err != nil {
		reason := sdk.ReasonConnect
		if ctx.Err() != nil || isTimeout(err) {
			reason = sdk.ReasonTimeout
		} else if strings.Contains(err.Error(), "malformed") {
			reason = sdk.ReasonProtocol
		}
		return sdk.Fail(reason, "%s query for %s to %s: %v", q.Type, q.Name, server, err)
	}
	resp := check(&s, msg)
	resp.Duration = time.Since(start)
	for name, n := range map[string]int{"answer": len(msg.Answers), "authority": len(msg.Authorities), "additional": len(msg.Additionals)} {
		resp.Metrics = append(resp.Metrics, sdk.Metric{Name: "probe_dns_" + name + "_rrs",
			Help: "Number of records in the " + name + " section.", Value: float64(n)})
	}
	return resp
}

func (s *settings) question() (dnsmessage.Question, error) {
	if s.QueryName == "" {
		return dnsmessage.Question{}, fmt.Errorf("query_name is required")
	}
	name := s.QueryName
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return dnsmessage.Question{}, fmt.Errorf("query_name: %v", err)
	}
	t, ok := types[strings.ToUpper(or(s.QueryType, "A"))]
	if !ok {
		return dnsmessage.Question{}, fmt.Errorf("unsupported query_type %q", s.QueryType)
	}
	for _, e := range s.ExpectTypes {
		if _, ok := types[strings.ToUpper(e)]; !ok {
			return dnsmessage.Question{}, fmt.Errorf("unsupported type %q in expect_types", e)
		}
	}
	return dnsmessage.Question{Name: n, Type: t, Class: dnsmessage.ClassINET}, nil
}

// check compares the answer with the expectations.
func check(s *settings, m *dnsmessage.Message) sdk.Response {
	valid := s.ValidRcodes
	if len(valid) == 0 {
		valid = []string{"NOERROR"}
	}
	if !slices.ContainsFunc(valid, func(v string) bool { return strings.EqualFold(v, rcodeName(m.RCode)) }) {
		return sdk.Fail("rcode", "response code %s, want one of %s", rcodeName(m.RCode), strings.Join(valid, ", "))
	}
	var gotTypes, gotValues []string
	for _, a := range m.Answers {
		gotTypes = append(gotTypes, strings.TrimPrefix(a.Header.Type.String(), "Type"))
		gotValues = append(gotValues, value(a.Body))
	}
	for _, t := range s.ExpectTypes {
		if !slices.Contains(gotTypes, strings.ToUpper(t)) {
			return sdk.Fail(sdk.ReasonAssertion, "no %s record among the answers (%s)", strings.ToUpper(t), strings.Join(gotTypes, ", "))
		}
	}
	for _, v := range s.ExpectValues {
		if !slices.ContainsFunc(gotValues, func(g string) bool { return strings.EqualFold(strings.TrimSuffix(g, "."), strings.TrimSuffix(v, ".")) }) {
			return sdk.Fail(sdk.ReasonAssertion, "no answer with value %q (got %s)", v, strings.Join(gotValues, ", "))
		}
	}
	return sdk.OK("%s answered %d records", rcodeName(m.RCode), len(m.Answers))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func main() { sdk.Serve(plugin{}) }
