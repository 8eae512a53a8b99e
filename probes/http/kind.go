package http

import (
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Kind is the http probe kind.
var Kind = probes.NewKind(probes.Definition[Config]{
	Name:    "http",
	Summary: "one HTTP request (following redirects), checked as blackbox_exporter's http prober checks it, with timing phases and certificate expiry",
	Validate: func(target string, c *Config, r conf.Report) {
		if _, err := NormalizeTarget(target, c); err != nil {
			r.Errorf("target", "%v", err)
		}
		c.Validate(r.At("http"))
	},
	New: New,
	Families: append([]probes.Family{
		{Name: MetricDuration, Help: helpDuration, Labels: []string{"phase"}},
		{Name: MetricStatusCode, Help: helpStatusCode},
		{Name: MetricVersion, Help: helpVersion},
		{Name: MetricRedirects, Help: helpRedirects},
		{Name: MetricContentLength, Help: helpContentLength},
		{Name: MetricUncompressedBody, Help: helpUncompressedBody},
		{Name: MetricSSL, Help: helpSSL},
		{Name: MetricLastModified, Help: helpLastModified},
		netprobe.IPProtocol, netprobe.DNSLookup, netprobe.FailedDueToRegex,
		{Name: MetricFailedDueToCEL, Help: helpFailedDueToCEL},
	}, tlsprobe.Families...),
	Reasons: probes.ConnReasons(probes.ReasonTLS, probes.ReasonStatusCode, probes.ReasonBodyMismatch, probes.ReasonHeaderMismatch,
		probes.ReasonBodyTooLarge, probes.ReasonRedirects, probes.ReasonSSLPolicy, probes.ReasonHTTPVersion,
		probes.ReasonProtocol, probes.ReasonInternal, ReasonAuth, probes.ReasonConfig),
})
