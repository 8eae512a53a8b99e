package api

import (
	"encoding/json"
	"net/http"
	"time"

	httpprobe "github.com/sloagent/sloagent/probes/http"
)

// response is a step's response with its body read and its timeline, as
// the http kind's client returns it.
type response struct {
	*httpprobe.Response
	latency time.Duration // from sending the request to the end of the body
	phases  httpprobe.Phases

	parsed  bool
	doc     any
	jsonErr error
}

// json parses the body once.
func (r *response) json() (any, error) {
	if !r.parsed {
		r.parsed = true
		r.jsonErr = json.Unmarshal(r.Body, &r.doc)
	}
	return r.doc, r.jsonErr
}

// cookies are the ones the response itself sets.
func (r *response) cookies() []*http.Cookie {
	return (&http.Response{Header: r.Header}).Cookies()
}

// phaseArgs are a request's timings for the debug log, as the http kind
// names them.
func phaseArgs(p httpprobe.Phases) []any {
	return []any{"resolve", p.Resolve, "connect", p.Connect, "tls", p.TLS, "processing", p.Processing, "transfer", p.Transfer}
}

// clientConfig is the http kind's section that sends the steps' requests
// as c says: its TLS, redirect policy and body size limit. Each request
// is on a connection of its own, so that every step's phases are timed.
func clientConfig(c *Config) *httpprobe.Config {
	t := &c.TLSConfig
	maxRedirects := MaxRedirects
	return &httpprobe.Config{
		FollowRedirects: c.FollowRedirects,
		MaxRedirects:    &maxRedirects,
		BodySizeLimit:   c.BodySizeLimit,
		TLSConfig: httpprobe.TLSConfig{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: t.ServerName,
			InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: t.MinVersion, MaxVersion: t.MaxVersion},
	}
}
