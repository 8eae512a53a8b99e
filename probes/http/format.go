package http

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sloagent/sloagent/probes"
)

// Format prints one run's result for a person at a terminal, the way
// httpstat does: the outcome, a bar of the phases with their durations and
// the cumulative times below it, then the response and TLS facts. It uses
// only the Result, so it prints a run made by New and Probe anywhere.
func Format(w io.Writer, res probes.Result) error {
	var b strings.Builder
	if res.Success {
		fmt.Fprintf(&b, "OK %s\n", res.Message)
	} else {
		fmt.Fprintf(&b, "FAILED (%s): %s\n", res.Reason, res.Message)
	}
	b.WriteByte('\n')
	get := func(name string) (float64, bool) {
		for _, s := range res.Samples {
			if s.Name == name {
				return s.Value, true
			}
		}
		return 0, false
	}
	var phases [numPhases]time.Duration
	for _, s := range res.Samples {
		if s.Name == MetricDuration && len(s.Labels) == 1 {
			for ph := range numPhases {
				if s.Labels[0].Value == phaseNames[ph] {
					phases[ph] = time.Duration(s.Value * float64(time.Second))
				}
			}
		}
	}
	ssl, _ := get(MetricSSL)
	writeBar(&b, phases, ssl == 1 || phases[phaseTLS] > 0, res.Duration)

	b.WriteByte('\n')
	if code, _ := get(MetricStatusCode); code > 0 {
		v, _ := get(MetricVersion)
		fmt.Fprintf(&b, "status %d, HTTP/%g", int(code), v)
		if n, _ := get(MetricRedirects); n > 0 {
			fmt.Fprintf(&b, ", %d redirects", int(n))
		}
		body, _ := get(MetricUncompressedBody)
		fmt.Fprintf(&b, ", body %d bytes", int64(body))
		if cl, _ := get(MetricContentLength); cl >= 0 && cl != body {
			fmt.Fprintf(&b, " (Content-Length %d)", int64(cl))
		}
		b.WriteByte('\n')
	}
	if ip, _ := get(MetricIPProtocol); ip > 0 {
		fmt.Fprintf(&b, "IPv%d\n", int(ip))
	}
	var tlsLine []string
	for _, s := range res.Samples {
		switch s.Name {
		case MetricTLSVersion, MetricTLSCipher:
			tlsLine = append(tlsLine, s.Labels[0].Value)
		case MetricLastChainInfo:
			for _, l := range s.Labels {
				if l.Name == "subject" || l.Name == "issuer" {
					fmt.Fprintf(&b, "certificate %s: %s\n", l.Name, l.Value)
				}
			}
		}
	}
	if len(tlsLine) > 0 {
		fmt.Fprintf(&b, "%s\n", strings.Join(tlsLine, ", "))
	}
	if exp, ok := get(MetricEarliestExpiry); ok {
		t := time.Unix(int64(exp), 0).UTC()
		when := "in " + humanDays(time.Until(t))
		if time.Until(t) < 0 {
			when = humanDays(-time.Until(t)) + " ago"
		}
		fmt.Fprintf(&b, "earliest certificate expiry %s (%s)\n", t.Format(time.RFC3339), when)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeBar draws the phases as httpstat's boxes, with the time so far at
// the end of each.
func writeBar(b *strings.Builder, d [numPhases]time.Duration, withTLS bool, total time.Duration) {
	titles := [numPhases]string{"DNS Lookup", "TCP Connection", "TLS Handshake", "Server Processing", "Content Transfer"}
	marks := [numPhases]string{"namelookup", "connect", "pretransfer", "starttransfer", "total"}
	var cols []phase
	for ph := range numPhases {
		if ph != phaseTLS || withTLS {
			cols = append(cols, ph)
		}
	}
	var head, bar strings.Builder
	bounds := make([]int, len(cols)) // column of the '|' closing each phase
	const indent = "    "            // room for the first cumulative label
	head.WriteString(indent + " ")
	bar.WriteString(indent + "[")
	for i, ph := range cols {
		width := len(titles[ph]) + 4
		head.WriteString(center(titles[ph], width) + " ")
		bar.WriteString(center(fmtDur(d[ph]), width))
		if i < len(cols)-1 {
			bar.WriteString("|")
		} else {
			bar.WriteString("]")
		}
		bounds[i] = bar.Len() - 1
	}
	b.WriteString(strings.TrimRight(head.String(), " ") + "\n" + bar.String() + "\n")

	line := func(upto int, label string) {
		row := []byte(strings.Repeat(" ", bounds[len(bounds)-1]+1))
		for j := upto; j < len(bounds); j++ {
			row[bounds[j]] = '|'
		}
		if label != "" {
			start := max(bounds[upto]-len(label)+1, 0)
			row = append(row[:start], append([]byte(label), row[min(start+len(label), len(row)):]...)...)
		}
		b.WriteString(strings.TrimRight(string(row), " ") + "\n")
	}
	line(0, "")
	var sum time.Duration
	for i, ph := range cols {
		sum += d[ph]
		if i == len(cols)-1 && total > sum {
			sum = total
		}
		line(i, marks[ph]+":"+fmtDur(sum))
	}
}

func center(s string, width int) string {
	if len(s) >= width {
		return s
	}
	left := (width - len(s)) / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", width-len(s)-left)
}

func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func humanDays(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
