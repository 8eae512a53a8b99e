package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sloagent/sloagent/bench/internal/report"
	"github.com/sloagent/sloagent/bench/internal/sched"
)

// The tcp, dns and grpc kinds are compared with blackbox_exporter's modules
// of the same probers doing the same check, at one rate, against
// bench/cmd/kindtarget.
const kindRate = 200

// probeKind is one kind as both systems configure it: sloagent's probe
// section and blackbox_exporter's module, which check the same thing.
type probeKind struct {
	name    string
	section string // the sloagent probe's lines after its target
	module  string // blackbox_exporter's module, indented under modules:
}

var probeKinds = []probeKind{
	{"tcp",
		"    tcp: {query_response: [{expect: '^\\+OK'}]}\n",
		"    prober: tcp\n    tcp:\n      preferred_ip_protocol: ip4\n      ip_protocol_fallback: false\n      query_response: [{expect: '^\\+OK'}]\n"},
	{"dns",
		"    dns: {query_name: example.test, query_type: A}\n",
		"    prober: dns\n    dns:\n      preferred_ip_protocol: ip4\n      ip_protocol_fallback: false\n      query_name: example.test\n      query_type: A\n"},
	{"grpc",
		"",
		"    prober: grpc\n    grpc:\n      preferred_ip_protocol: ip4\n      ip_protocol_fallback: false\n"},
}

// kindSystems are the systems the kinds are compared on; the net/http loop
// has no counterpart.
var kindSystems = []system{sysAgent, sysBlackbox}

// measureKinds measures every kind on each system, taking turns within
// each repetition, and keeps the medians in r.kinds.
func (b *bench) measureKinds(p plan, r *results) error {
	r.kinds = map[string]map[string]sample{}
	raw := map[string]map[string][]sample{}
	for rep := range p.reps {
		b.logf("tcp, dns and grpc kinds at %d/s, repetition %d of %d", kindRate, rep+1, p.reps)
		for _, k := range probeKinds {
			if raw[k.name] == nil {
				raw[k.name] = map[string][]sample{}
			}
			for _, sys := range kindSystems {
				s, err := b.measureKind(sys.name, k, kindRate, p.warm, p.window)
				if err != nil {
					return fmt.Errorf("%s %s kind: %w", sys.name, k.name, err)
				}
				raw[k.name][sys.name] = append(raw[k.name][sys.name], s)
			}
		}
	}
	for kind, bySys := range raw {
		r.kinds[kind] = map[string]sample{}
		for sys, ss := range bySys {
			r.kinds[kind][sys] = median(ss)
		}
	}
	return nil
}

// kindTarget is a running kindtarget.
type kindTarget struct {
	*child
	addr, count string
}

func (b *bench) startKindTarget(kind string) (*kindTarget, error) {
	c, addrs, err := b.startAnnounced("kindtarget-"+kind, 2, b.bin("kindtarget"), "-kind", kind)
	if err != nil {
		return nil, err
	}
	return &kindTarget{child: c, addr: addrs[0], count: addrs[1]}, nil
}

// measureKind runs rate probes a second of kind on one system: warm-up,
// then a steady window whose CPU time is divided by what the target
// answered in it.
func (b *bench) measureKind(sysName string, k probeKind, rate int, warm, window time.Duration) (sample, error) {
	tgt, err := b.startKindTarget(k.name)
	if err != nil {
		return sample{}, err
	}
	defer tgt.stop()
	counter := &target{base: "http://" + tgt.count}
	l := load{n: rate, interval: rateInterval, timeout: rateTimeout}
	var inst instance
	if sysName == sysAgent.name {
		inst, err = b.startAgentKind(l, k, tgt.addr)
	} else {
		inst, err = b.startBlackboxKind(l, k, tgt.addr)
	}
	if err != nil {
		return sample{}, err
	}
	defer inst.stop()
	s, err := b.steady(inst, counter, 0, rate, warm, window)
	if err != nil {
		return sample{}, err
	}
	b.logf("%s %s kind: %s", sysName, k.name, s)
	return s, nil
}

func (b *bench) startAgentKind(l load, k probeKind, addr string) (instance, error) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "agent:\n  name: bench\n  state_dir: %s\nprobes:\n", filepath.Join(b.work, "state-kinds"))
	for i := range l.n {
		fmt.Fprintf(&sb, "  - name: %s\n    kind: %s\n    target: %s\n    interval: %s\n    timeout: %s\n%s",
			sched.Name(i), k.name, addr, l.interval, l.timeout, k.section)
	}
	return b.startAgentConfig("sloagent-"+k.name, b.bin("sloagent"), sb.String())
}

func (b *bench) startBlackboxKind(l load, k probeKind, addr string) (instance, error) {
	cfg := fmt.Sprintf("modules:\n  %s:\n    timeout: %s\n%s", k.name, l.timeout, k.module)
	return b.startExporter("blackbox_exporter-"+k.name, cfg, k.name, addr, l)
}

// kindRows are the kinds' rows of the results table.
func (r *results) kindRows() []report.Row {
	var rows []report.Row
	for _, k := range probeKinds {
		var cells []report.Cell
		for _, sys := range r.systems {
			s, ok := r.kinds[k.name][sys.name]
			if !ok || s.runs == 0 {
				cells = append(cells, report.Cell{})
				continue
			}
			cells = append(cells, report.Val(s.cpu))
		}
		rows = append(rows, report.Row{Name: fmt.Sprintf("CPU-seconds per 1,000 %s probes at %d/s", k.name, kindRate), Format: "%.3f", Ratio: true, Cells: cells})
	}
	return rows
}

const kindsMethod = `- tcp, dns and grpc probes: 200 probes a second of one kind, against bench/cmd/kindtarget
  (a TCP server that greets and closes; a DNS server on UDP answering A queries; a gRPC
  server with the standard health service), for sloagent and for blackbox_exporter with a
  module of the same prober checking the same thing (the greeting matched by a regexp; an
  A query; the server's health), IPv4 only; CPU-seconds per 1,000 probes as above, divided
  by what the target answered in the window.
`
