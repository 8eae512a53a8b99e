package main

import (
	"fmt"
	"strings"
)

// measurement is one part of a run; it adds its figures to the results.
type measurement func(*bench, plan, *results) error

// part is a part of the run that -only can name.
type part struct {
	name string
	help string // what -only's help says it measures, and how long it takes
	// mode is how the results name a run of this part alone; the browser
	// figure writes results of its own.
	mode     string
	measures []measurement
	// cloudprober is whether the part compares cloudprober (which then
	// has to run in a network namespace with only loopback).
	cloudprober bool
}

// parts are the parts -only can name, in the order its help lists them.
var parts = []part{
	{name: "memory", help: "memory with many probes (and SLOs) over a steady run and the time to serve /metrics in every format, about 37 minutes (9 with -quick)",
		mode: "memory and /metrics only", measures: []measurement{(*bench).measureMemory}, cloudprober: true},
	{name: "soak", help: "10,000 probes at a minute's interval with an SLO each, fresh state, for an hour (-steady sets how long)",
		mode: "the soak only", measures: []measurement{(*bench).measureSoak}},
	{name: "herd", help: "the requests targets see in the first interval after a start and after a reload, about 3 minutes",
		mode: "start-up and reload requests only", measures: []measurement{(*bench).measureHerd}, cloudprober: true},
	{name: "accuracy", help: "the timing accuracy of every system, about 5 minutes (1 with -quick)",
		mode: "timing accuracy only", measures: []measurement{(*bench).measureAccuracy}, cloudprober: true},
	{name: "rates", help: "every system's cost at the fixed rates and its highest sustained rate, about 25 minutes (6 with -quick)",
		mode: "fixed rates and the highest sustained rate only", measures: []measurement{(*bench).measureFixed, (*bench).measureMaxRate}, cloudprober: true},
	{name: "kinds", help: "the tcp, dns and grpc kinds' CPU, about 6 minutes",
		mode: "tcp, dns and grpc kinds only", measures: []measurement{(*bench).measureKinds}},
	{name: "browser", help: "the browser journeys, about 9 minutes a binary (3 with -quick)"},
}

// fullRun is a run of every part, in this order.
var fullRun = part{
	measures: []measurement{(*bench).measureFixed, (*bench).measureKinds, (*bench).measureAccuracy, (*bench).measureMemory,
		(*bench).measureHerd, (*bench).measureMaxRate, (*bench).measureBrowserIfPossible},
	cloudprober: true,
}

// partNamed is the part -only names: the full run for "", false for a
// name that is no part.
func partNamed(only string) (part, bool) {
	if only == "" {
		return fullRun, true
	}
	for _, p := range parts {
		if p.name == only {
			return p, true
		}
	}
	return part{}, false
}

// onlyHelp is the help of -only.
func onlyHelp() string {
	var says []string
	for _, p := range parts {
		says = append(says, fmt.Sprintf("%q is %s", p.name, p.help))
	}
	return "Measure one part only: " + strings.Join(says, "; ") + "."
}

// partNames lists the parts' names: "a, b or c".
func partNames() string {
	var names []string
	for _, p := range parts {
		names = append(names, p.name)
	}
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + " or " + names[last]
}
