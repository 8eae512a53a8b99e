package tlsprobe

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
)

// The certificate series, named, described and labelled as the http kind
// reports them (blackbox_exporter's names), so that they are one family
// across kinds.
var (
	EarliestExpiry  = family.Gauge("probe_ssl_earliest_cert_expiry", "Earliest expiry of the certificates the server sent, in unix seconds.")
	LastChainExpiry = family.Gauge("probe_ssl_last_chain_expiry_timestamp_seconds", "Expiry of the verified chain that lasts longest, taking each chain's earliest expiry, in unix seconds.")
	LastChainInfo   = family.Gauge("probe_ssl_last_chain_info", "Identity of the server's leaf certificate; always 1.",
		"fingerprint_sha256", "issuer", "subject", "subjectalternative")
	Version = family.Gauge("probe_tls_version_info", "TLS version of the final response's connection; always 1.", "version")
	Cipher  = family.Gauge("probe_tls_cipher_info", "TLS cipher suite of the final response's connection; always 1.", "cipher")
)

// Families lists the series AppendState reports.
var Families = []probes.Family{EarliestExpiry, LastChainExpiry, LastChainInfo, Version, Cipher}

// AppendState appends the samples of a finished handshake.
func AppendState(s []probes.Sample, cs *tls.ConnectionState) []probes.Sample {
	s = AppendCerts(s, cs.PeerCertificates, cs.VerifiedChains)
	return append(s,
		family.Sample(&Version, 1, tls.VersionName(cs.Version)),
		family.Sample(&Cipher, 1, tls.CipherSuiteName(cs.CipherSuite)))
}

// AppendCerts appends the certificate samples of peer (and of the verified
// chains, if any). A handshake that failed verification still has its
// certificates, and their expiry is often why it failed.
func AppendCerts(s []probes.Sample, peer []*x509.Certificate, chains [][]*x509.Certificate) []probes.Sample {
	if len(peer) == 0 {
		return s
	}
	earliest := peer[0].NotAfter
	for _, c := range peer[1:] {
		if c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	s = append(s, family.Sample(&EarliestExpiry, unix(earliest)))
	var last time.Time
	for _, chain := range chains {
		var e time.Time
		for _, c := range chain {
			if e.IsZero() || c.NotAfter.Before(e) {
				e = c.NotAfter
			}
		}
		if e.After(last) {
			last = e
		}
	}
	if !last.IsZero() {
		s = append(s, family.Sample(&LastChainExpiry, unix(last)))
	}
	leaf := peer[0]
	sum := sha256.Sum256(leaf.Raw)
	return append(s, family.Sample(&LastChainInfo, 1, hex.EncodeToString(sum[:]), leaf.Issuer.String(),
		leaf.Subject.String(), strings.Join(leaf.DNSNames, ",")))
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
