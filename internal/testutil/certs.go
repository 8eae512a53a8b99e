package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs is a test PKI: a CA, its file, and leaf certificates it signs.
type Certs struct {
	CA     *x509.Certificate
	CAFile string
	caKey  *ecdsa.PrivateKey
	dir    string
}

// NewCerts makes a CA valid for a day.
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	key := genKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sloagent test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	dir := t.TempDir()
	c := &Certs{CA: ca, caKey: key, dir: dir, CAFile: filepath.Join(dir, "ca.pem")}
	writePEM(t, c.CAFile, "CERTIFICATE", der)
	return c
}

// Pool is a pool holding the CA.
func (c *Certs) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.CA)
	return p
}

// Leaf makes a certificate for names (addresses or host names), valid from
// notBefore to notAfter, signed by the CA or by itself.
func (c *Certs) Leaf(t testing.TB, cn string, notBefore, notAfter time.Time, selfSigned bool, names ...string) tls.Certificate {
	t.Helper()
	key := genKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := c.CA, c.caKey
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// Server is a certificate for 127.0.0.1, ::1 and localhost, valid for 12
// hours.
func (c *Certs) Server(t testing.TB) tls.Certificate {
	return c.Leaf(t, "test server", time.Now().Add(-time.Hour), time.Now().Add(12*time.Hour), false, "127.0.0.1", "::1", "localhost")
}

// Files writes cert and its key as PEM files and returns their paths.
func (c *Certs) Files(t testing.TB, name string, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certFile = filepath.Join(c.dir, name+".pem")
	keyFile = filepath.Join(c.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", cert.Certificate[0])
	der, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "EC PRIVATE KEY", der)
	return certFile, keyFile
}

func genKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// SelfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir, for a server that a client trusts by skipping verification.
func SelfSigned(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	c := &Certs{dir: dir}
	cert := c.Leaf(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), true, "127.0.0.1")
	return c.Files(t, "self-signed", cert)
}
