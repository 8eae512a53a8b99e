package tlsprobe

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sloagent/sloagent/probes/internal/netprobe"
)

// Message says what was wrong with a certificate or a handshake, or that
// err is not about TLS.
func Message(err error) (string, bool) {
	var (
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		ralert   *tls.AlertError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired && invalid.Cert != nil {
			if time.Now().Before(invalid.Cert.NotBefore) {
				return "certificate " + certName(invalid.Cert) + " is not valid before " + invalid.Cert.NotBefore.UTC().Format(time.RFC3339), true
			}
			return "certificate " + certName(invalid.Cert) + " expired " + invalid.Cert.NotAfter.UTC().Format(time.RFC3339), true
		}
		return "invalid certificate: " + invalid.Error(), true
	case errors.As(err, &unknown):
		msg := "certificate signed by unknown authority"
		if unknown.Cert != nil {
			msg += " (" + certName(unknown.Cert) + " issued by " + netprobe.Clip(unknown.Cert.Issuer.String()) + ")"
		}
		return msg, true
	case errors.As(err, &hostname):
		return hostnameMessage(hostname), true
	case errors.As(err, &verify):
		return "certificate verification failed: " + verify.Err.Error(), true
	case errors.As(err, &record):
		return "TLS handshake failed: the server did not answer with TLS (" + record.Msg + ")", true
	case errors.As(err, &alert), errors.As(err, &ralert):
		return "TLS handshake failed: " + netprobe.Text(err), true
	case errors.As(err, &op) && op.Op == "remote error":
		// A TLS 1.3 server checks the client's certificate after the
		// handshake, so its alert arrives with the first read.
		return "TLS alert from the server: " + strings.TrimPrefix(op.Err.Error(), "tls: "), true
	}
	return "", false
}

// UnverifiedCerts returns the certificates of a handshake that failed
// verification.
func UnverifiedCerts(err error) []*x509.Certificate {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return cve.UnverifiedCertificates
	}
	return nil
}

func hostnameMessage(e x509.HostnameError) string {
	if e.Certificate == nil {
		return e.Error()
	}
	// A certificate may name thousands; the server chose them.
	valid := netprobe.Clip(CertNames(e.Certificate))
	if valid == "" {
		valid = "no names"
	}
	return "certificate " + certName(e.Certificate) + " is not valid for " + e.Host + " (valid for " + valid + ")"
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + netprobe.Clip(c.Subject.CommonName)
	}
	if len(c.DNSNames) > 0 {
		return netprobe.Clip(c.DNSNames[0])
	}
	return netprobe.Clip(c.Subject.String())
}

// CertNames lists the names and addresses a certificate is valid for.
func CertNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return strings.Join(names, ",")
}

// LogArgs describes a finished handshake for a debug log line.
func LogArgs(cs *tls.ConnectionState, took time.Duration) []any {
	args := []any{"version", tls.VersionName(cs.Version), "cipher", tls.CipherSuiteName(cs.CipherSuite),
		"alpn", cs.NegotiatedProtocol, "took", took}
	for i, c := range cs.PeerCertificates {
		args = append(args, slog.Group("cert"+strconv.Itoa(i),
			"subject", c.Subject.String(), "issuer", c.Issuer.String(),
			"names", CertNames(c), "not_after", c.NotAfter.UTC().Format(time.RFC3339)))
	}
	return args
}
