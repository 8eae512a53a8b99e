// Package tlsprobe is the TLS client side the kinds that speak TLS over
// their own connections share (tcp, dns over TLS, grpc, api): the
// tls_config section (the http kind's keys, which are blackbox_exporter's),
// the certificate series, and a sentence for a failed handshake.
package tlsprobe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/sloagent/sloagent/internal/conf"
)

// Config is a tls_config section.
type Config struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
	// MinVersion and MaxVersion are TLS10, TLS11, TLS12 or TLS13.
	MinVersion string `yaml:"min_version,omitempty"`
	MaxVersion string `yaml:"max_version,omitempty"`
}

var versions = map[string]uint16{
	"TLS10": tls.VersionTLS10,
	"TLS11": tls.VersionTLS11,
	"TLS12": tls.VersionTLS12,
	"TLS13": tls.VersionTLS13,
}

// VersionOf is the TLS version a min_version or max_version names, 0 (the
// library's default) for none or an unknown one.
func VersionOf(name string) uint16 { return versions[name] }

// Validate records problems of the section, with fields relative to it.
func (c *Config) Validate(r conf.Report) {
	if (c.CertFile == "") != (c.KeyFile == "") {
		r.Errorf("key_file", "cert_file and key_file must be set together")
	}
	ValidateFiles(r, c.CAFile, c.CertFile, c.KeyFile)
	ValidateVersions(r, c.MinVersion, c.MaxVersion)
}

// ValidateFiles records files of a tls_config that cannot be read.
func ValidateFiles(r conf.Report, caFile, certFile, keyFile string) {
	conf.CheckFile(r, "ca_file", caFile)
	conf.CheckFile(r, "cert_file", certFile)
	conf.CheckFile(r, "key_file", keyFile)
}

// ValidateVersions records unknown TLS versions of a tls_config, and a
// range that is empty.
func ValidateVersions(r conf.Report, minName, maxName string) {
	minV, okMin := versions[minName]
	if minName != "" && !okMin {
		r.Errorf("min_version", "unknown TLS version %q (use TLS10, TLS11, TLS12 or TLS13)", minName)
	}
	maxV, okMax := versions[maxName]
	if maxName != "" && !okMax {
		r.Errorf("max_version", "unknown TLS version %q (use TLS10, TLS11, TLS12 or TLS13)", maxName)
	}
	if okMin && okMax && minV > maxV {
		r.Errorf("max_version", "max_version %s is below min_version %s", maxName, minName)
	}
}

// New builds the client's TLS config, reading the files now so that a
// missing one shows when the config is loaded. host is the server name to
// verify when the section sets none (the target's host name: the
// connection itself goes to an address resolved beforehand).
func (c *Config) New(host string) (*tls.Config, error) {
	tc := &tls.Config{
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify,
		MinVersion:         versions[c.MinVersion],
		MaxVersion:         versions[c.MaxVersion],
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file: no PEM certificate in %s", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
