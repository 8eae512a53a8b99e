package http

import (
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
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
	Build: func(s probes.Spec, c *Config) (probes.Prober, error) { return New(s.Target, c) },
	Families: []probes.Family{
		{Name: MetricDuration, Help: helpDuration, Labels: []string{"phase"}},
		{Name: MetricStatusCode, Help: helpStatusCode},
		{Name: MetricVersion, Help: helpVersion},
		{Name: MetricRedirects, Help: helpRedirects},
		{Name: MetricContentLength, Help: helpContentLength},
		{Name: MetricUncompressedBody, Help: helpUncompressedBody},
		{Name: MetricSSL, Help: helpSSL},
		{Name: MetricLastModified, Help: helpLastModified},
		{Name: MetricIPProtocol, Help: helpIPProtocol},
		{Name: MetricDNSLookup, Help: helpDNSLookup},
		{Name: MetricFailedDueToRegex, Help: helpFailedDueToRegex},
		{Name: MetricFailedDueToCEL, Help: helpFailedDueToCEL},
		{Name: MetricEarliestExpiry, Help: helpEarliestExpiry},
		{Name: MetricLastChainExpiry, Help: helpLastChainExpiry},
		{Name: MetricLastChainInfo, Help: helpLastChainInfo, Labels: []string{"fingerprint_sha256", "issuer", "subject", "subjectalternative"}},
		{Name: MetricTLSVersion, Help: helpTLSVersion, Labels: []string{"version"}},
		{Name: MetricTLSCipher, Help: helpTLSCipher, Labels: []string{"cipher"}},
	},
	Reasons: []string{
		probes.ReasonTimeout, probes.ReasonDNS, probes.ReasonConnect, probes.ReasonTLS,
		probes.ReasonStatusCode, probes.ReasonBodyMismatch, probes.ReasonHeaderMismatch,
		probes.ReasonBodyTooLarge, probes.ReasonRedirects, probes.ReasonSSLPolicy,
		probes.ReasonHTTPVersion, probes.ReasonProtocol, probes.ReasonCanceled, probes.ReasonInternal,
		ReasonAuth,
	},
})
