package tcp

import (
	"net"
	"strconv"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Config is the tcp section of a probe; its keys are blackbox_exporter's tcp
// module's, and the address family keys the http kind's. The zero Config
// connects and succeeds once connected.
type Config struct {
	netprobe.IPConfig `yaml:",inline"`

	// QueryResponse is a dialogue run in order once connected.
	QueryResponse []QueryResponse `yaml:"query_response,omitempty"`
	// TLS makes the connection TLS from the start.
	TLS       bool            `yaml:"tls,omitempty"`
	TLSConfig tlsprobe.Config `yaml:"tls_config,omitempty"`
}

// QueryResponse is one step of the dialogue, done in this order: read lines
// until one matches Expect (or read exactly ExpectBytes), write Send with a
// newline, then upgrade to TLS if StartTLS.
type QueryResponse struct {
	// Expect is matched against each line read until one matches; the
	// connection closing first fails the run.
	Expect conf.Regexp `yaml:"expect,omitempty"`
	// ExpectBytes must be exactly the next bytes read.
	ExpectBytes string `yaml:"expect_bytes,omitempty"`
	// Labels become probe_expect_info{name=value}; values may use the
	// groups of Expect's match (${1}, ${name}).
	Labels []Label `yaml:"labels,omitempty"`
	// Send is written followed by "\n"; it may use the groups of
	// Expect's match.
	Send string `yaml:"send,omitempty"`
	// StartTLS upgrades the connection to TLS, with tls_config.
	StartTLS bool `yaml:"starttls,omitempty"`
}

// Label is one label of probe_expect_info.
type Label struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// Validate records every problem of the section in r, with fields relative
// to the section.
func (c *Config) Validate(r conf.Report) {
	c.IPConfig.Validate(r)
	tlsSeen := c.TLS
	labels := map[string]bool{}
	for i := range c.QueryResponse {
		q := &c.QueryResponse[i]
		qr := r.Index("query_response", i)
		if q.Expect.Regexp != nil && q.ExpectBytes != "" {
			qr.Errorf("expect_bytes", "expect and expect_bytes are mutually exclusive")
		}
		if q.Expect.Regexp == nil && q.ExpectBytes == "" && q.Send == "" && !q.StartTLS {
			// On expect, so that an expect that did not decode is
			// reported once.
			qr.Errorf("expect", "empty entry: set expect, expect_bytes, send or starttls")
		}
		if len(q.Labels) > 0 && q.Expect.Regexp == nil {
			qr.Errorf("labels", "labels need expect: their values are filled from its match")
		}
		for j, l := range q.Labels {
			lr := qr.Index("labels", j)
			switch {
			case !conf.ValidLabelName(l.Name):
				lr.Errorf("name", "invalid label name %q", l.Name)
			case conf.ReservedLabels[l.Name]:
				lr.Errorf("name", "label %q is set by the agent and cannot be used here", l.Name)
			case labels[l.Name]:
				lr.Errorf("name", "duplicate label %q: probe_expect_info has one set of labels", l.Name)
			}
			labels[l.Name] = true
		}
		if q.StartTLS {
			if tlsSeen {
				qr.Errorf("starttls", "the connection is already TLS here (tls: true or an earlier starttls)")
			}
			tlsSeen = true
		}
	}
	c.TLSConfig.Validate(r.At("tls_config"))
}

// ValidateTarget records a problem with a target that is not host:port.
func ValidateTarget(r conf.Report, target string) {
	if target == "" {
		r.Errorf("target", "missing target: a tcp probe's target is host:port")
		return
	}
	if _, _, err := splitTarget(target); err != nil {
		r.Errorf("target", "%v", err)
	}
}

type targetError struct{ target, why string }

func (e *targetError) Error() string {
	return "target " + strconv.Quote(e.target) + " is not host:port: " + e.why
}

func splitTarget(target string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(target)
	if err != nil {
		why := err.Error()
		if ae, ok := err.(*net.AddrError); ok {
			why = ae.Err
		}
		return "", "", &targetError{target, why}
	}
	if host == "" {
		return "", "", &targetError{target, "missing host"}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", &targetError{target, "port must be 1-65535"}
	}
	return host, port, nil
}
