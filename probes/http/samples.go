package http

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// Sample names and help, as blackbox_exporter names them where it has them
// (dashboards built for it keep working).
const (
	MetricDuration         = "probe_http_duration_seconds"
	MetricStatusCode       = "probe_http_status_code"
	MetricVersion          = "probe_http_version"
	MetricRedirects        = "probe_http_redirects"
	MetricContentLength    = "probe_http_content_length"
	MetricUncompressedBody = "probe_http_uncompressed_body_length"
	MetricSSL              = "probe_http_ssl"
	MetricLastModified     = "probe_http_last_modified_timestamp_seconds"
	MetricIPProtocol       = "probe_ip_protocol"
	MetricDNSLookup        = "probe_dns_lookup_time_seconds"
	MetricFailedDueToRegex = "probe_failed_due_to_regex"
	MetricFailedDueToCEL   = "probe_failed_due_to_cel"
	MetricEarliestExpiry   = "probe_ssl_earliest_cert_expiry"
	MetricLastChainExpiry  = "probe_ssl_last_chain_expiry_timestamp_seconds"
	MetricLastChainInfo    = "probe_ssl_last_chain_info"
	MetricTLSVersion       = "probe_tls_version_info"
	MetricTLSCipher        = "probe_tls_cipher_info"
)

const (
	helpDuration         = "Duration of the HTTP request by phase, summed over all redirects."
	helpStatusCode       = "HTTP status code of the final response, 0 if there was none."
	helpVersion          = "HTTP version of the final response (1.1, 2), 0 if there was none."
	helpRedirects        = "Number of redirects followed."
	helpContentLength    = "Content-Length of the final response, -1 if it was not given."
	helpUncompressedBody = "Length of the final response's body after decompression, in bytes."
	helpSSL              = "1 if the final response came over TLS, else 0."
	helpLastModified     = "Last-Modified header of the final response, in unix seconds."
	helpFailedDueToCEL   = "1 if the run failed because a CEL expression on the JSON body failed, else 0."
)

var phaseLabels = func() (l [numPhases][]probes.Label) {
	for ph := range numPhases {
		l[ph] = []probes.Label{{Name: "phase", Value: phaseNames[ph]}}
	}
	return l
}()

// samples reports what the run measured. The same base set is reported by
// every run, failed or not, so series do not come and go; TLS samples are
// there when the final connection (or a failed handshake) was TLS.
func (r *run) samples(resp *http.Response) []probes.Sample {
	r.mu.Lock()
	dur, ipProto, dnsLookup := r.dur, r.ipProto, r.dnsLookup
	r.mu.Unlock()

	// Sized for what this run reports: the slice is kept until the
	// probe's next run, so spare capacity is memory held per probe.
	n := int(numPhases) + 9
	if resp != nil && resp.Header.Get("Last-Modified") != "" {
		n++
	}
	cel := r.p.celMatch != nil || r.p.celNotMatch != nil
	if cel {
		n++
	}
	var peerCerts []*x509.Certificate
	if r.rare != nil {
		peerCerts = r.rare.peerCerts
	}
	if (resp != nil && resp.TLS != nil) || len(peerCerts) > 0 {
		n += 5
	}
	s := make([]probes.Sample, 0, n)
	for ph := range numPhases {
		s = append(s, probes.Sample{Name: MetricDuration, Labels: phaseLabels[ph], Value: dur[ph].Seconds()})
	}
	var status, version, contentLength, ssl float64
	var state *tls.ConnectionState
	if resp != nil {
		status = float64(resp.StatusCode)
		version = float64(resp.ProtoMajor) + float64(resp.ProtoMinor)/10
		contentLength = float64(resp.ContentLength)
		if resp.TLS != nil {
			ssl, state = 1, resp.TLS
		}
	}
	s = append(s,
		probes.Sample{Name: MetricStatusCode, Value: status},
		probes.Sample{Name: MetricVersion, Value: version},
		probes.Sample{Name: MetricRedirects, Value: float64(r.redirects)},
		probes.Sample{Name: MetricContentLength, Value: contentLength},
		probes.Sample{Name: MetricUncompressedBody, Value: float64(r.bodyLen)},
		probes.Sample{Name: MetricSSL, Value: ssl},
		probes.Sample{Name: MetricIPProtocol, Value: float64(ipProto)},
		probes.Sample{Name: MetricDNSLookup, Value: dnsLookup.Seconds()},
		probes.Sample{Name: MetricFailedDueToRegex, Value: b2f(r.failedRegex)},
	)
	if cel { // as in blackbox_exporter, only where CEL is configured
		s = append(s, probes.Sample{Name: MetricFailedDueToCEL, Value: b2f(r.failedCEL)})
	}
	if resp != nil {
		if lm := resp.Header.Get("Last-Modified"); lm != "" {
			if t, err := http.ParseTime(lm); err == nil {
				s = append(s, probes.Sample{Name: MetricLastModified, Value: unix(t)})
			}
		}
	}
	switch {
	case state != nil:
		s = tlsprobe.AppendState(s, state)
	case len(peerCerts) > 0:
		// Verification failed: the expiry is often why, so still show it.
		s = tlsprobe.AppendCerts(s, peerCerts, nil)
	}
	return s
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
