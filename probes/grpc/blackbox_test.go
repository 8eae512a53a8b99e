package grpc

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/internal/testutil"
	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// Side by side with the blackbox_exporter Debian ships (0.23): the same
// local gRPC servers, the same grpc module, the same values. 0.23 has no
// metadata key (its master branch has), so metadata is not compared here.

// comparedFamilies are the series a dashboard reads off both, by name.
var comparedFamilies = []string{
	"probe_success", "probe_grpc_status_code", "probe_grpc_healthcheck_response", "probe_grpc_ssl",
	"probe_ip_protocol", "probe_ssl_earliest_cert_expiry", "probe_tls_version_info",
}

// serveGRPC starts a gRPC server on a loopback address of network with
// creds (nil for none) and, unless statuses is nil, the health service
// answering them (the server as a whole is "").
func serveGRPC(t *testing.T, network string, creds credentials.TransportCredentials, statuses map[string]grpc_health_v1.HealthCheckResponse_ServingStatus) string {
	t.Helper()
	ln := probetest.Listen(t, network)
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	if statuses != nil {
		hs := health.NewServer()
		for svc, st := range statuses {
			hs.SetServingStatus(svc, st)
		}
		grpc_health_v1.RegisterHealthServer(srv, hs)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return ln.Addr().String()
}

func TestSameValuesAsBlackboxExporter(t *testing.T) {
	const (
		serving    = grpc_health_v1.HealthCheckResponse_SERVING
		notServing = grpc_health_v1.HealthCheckResponse_NOT_SERVING
		unknown    = grpc_health_v1.HealthCheckResponse_UNKNOWN
	)
	statuses := map[string]grpc_health_v1.HealthCheckResponse_ServingStatus{
		"": serving, "orders": serving, "payments": notServing, "maybe": unknown,
	}
	up := serveGRPC(t, "tcp4", nil, statuses)
	// The server as a whole is down, one of its services is not.
	down := serveGRPC(t, "tcp4", nil, map[string]grpc_health_v1.HealthCheckResponse_ServingStatus{"": notServing, "orders": serving})
	up6 := serveGRPC(t, "tcp6", nil, statuses)
	noHealth := serveGRPC(t, "tcp4", nil, nil)
	refused := testutil.FreeAddr(t)

	h1 := probetest.Listen(t, "tcp4")
	h1srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })}
	go h1srv.Serve(h1)
	t.Cleanup(func() { h1srv.Close() })
	junk := testutil.ServeTCP(t, func(c *net.TCPConn) {
		io.WriteString(c, "this is not gRPC, nor HTTP/2\r\n")
		io.Copy(io.Discard, c)
	})

	pki := testutil.NewCerts(t)
	caCert := pki.Server(t) // for 127.0.0.1, ::1 and localhost
	withCA := serveGRPC(t, "tcp4", credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{caCert}}), statuses)
	selfFile, selfKey := testutil.SelfSigned(t, t.TempDir())
	self, err := tls.LoadX509KeyPair(selfFile, selfKey)
	if err != nil {
		t.Fatal(err)
	}
	selfSigned := serveGRPC(t, "tcp4", credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{self}}), statuses)
	noHealthTLS := serveGRPC(t, "tcp4", credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{caCert}}), nil)
	mutual := serveGRPC(t, "tcp4", credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{caCert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.Pool()}), statuses)
	clientCert, clientKey := pki.Files(t, "client", pki.Leaf(t, "prober", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false, "prober"))
	status99 := serveHealth(t, func() (*grpc_health_v1.HealthCheckResponse, error) {
		return &grpc_health_v1.HealthCheckResponse{Status: 99}, nil
	})
	denied := serveHealth(t, func() (*grpc_health_v1.HealthCheckResponse, error) {
		return nil, status.Error(codes.PermissionDenied, "not you")
	})

	ca := "ca_file: " + pki.CAFile
	caLeaf, selfLeaf := caCert.Leaf, self.Leaf
	cases := []struct {
		name, target, grpc string
		// bb is blackbox_exporter's module where it is not grpc.
		bb   string
		diff difference
		cert *x509.Certificate // the server's, for diff
	}{
		{name: "serving", target: up},
		{name: "named_serving", target: up, grpc: "service: orders"},
		{name: "not_serving", target: up, grpc: "service: payments"},
		{name: "unknown", target: up, grpc: "service: maybe"},
		{name: "service_unknown", target: up, grpc: "service: shipping"},
		{name: "whole_down", target: down},
		{name: "named_up_whole_down", target: down, grpc: "service: orders"},
		{name: "ipv6", target: up6, diff: ipv6Address},
		{name: "http_url", target: "http://" + up, grpc: "service: orders"},
		{name: "no_health", target: noHealth},
		{name: "undefined_status", target: status99, diff: undefinedStatus},
		{name: "denied", target: denied},
		{name: "refused", target: refused},
		{name: "http1", target: h1.Addr().String()},
		{name: "junk", target: junk},
		{name: "tls_to_plain", target: up, grpc: "tls: true"},
		{name: "self_signed", target: selfSigned, grpc: "tls: true", diff: unverifiedCert, cert: selfLeaf},
		{name: "self_signed_skip", target: selfSigned, grpc: "{tls: true, tls_config: {insecure_skip_verify: true}}"},
		{name: "self_signed_ca", target: selfSigned, grpc: "{tls: true, tls_config: {ca_file: " + selfFile + "}}"},
		{name: "self_signed_not_serving", target: selfSigned, grpc: "{tls: true, service: payments, tls_config: {insecure_skip_verify: true}}"},
		{name: "plain_to_tls", target: selfSigned},
		{name: "ca", target: withCA, grpc: "{tls: true, tls_config: {" + ca + "}}"},
		// An https:// target means TLS here; 0.23 takes TLS from tls alone.
		{name: "https", target: "https://" + withCA, grpc: "tls_config: {" + ca + "}", bb: "{tls: true, tls_config: {" + ca + "}}"},
		{name: "ca_not_serving", target: withCA, grpc: "{tls: true, service: payments, tls_config: {" + ca + "}}"},
		{name: "ca_service_unknown", target: withCA, grpc: "{tls: true, service: shipping, tls_config: {" + ca + "}}", diff: tlsWithoutAnswer, cert: caLeaf},
		{name: "ca_no_health", target: noHealthTLS, grpc: "{tls: true, tls_config: {" + ca + "}}", diff: tlsWithoutAnswer, cert: caLeaf},
		{name: "server_name", target: withCA, grpc: "{tls: true, tls_config: {" + ca + ", server_name: localhost}}"},
		{name: "server_name_wrong", target: withCA, grpc: "{tls: true, tls_config: {" + ca + ", server_name: other.test}}", diff: unverifiedCert, cert: caLeaf},
		{name: "unknown_ca", target: withCA, grpc: "tls: true", diff: unverifiedCert, cert: caLeaf},
		{name: "client_cert", target: mutual, grpc: "{tls: true, tls_config: {" + ca + ", cert_file: " + clientCert + ", key_file: " + clientKey + "}}"},
		{name: "no_client_cert", target: mutual, grpc: "{tls: true, tls_config: {" + ca + "}}", diff: tlsWithoutAnswer, cert: caLeaf},
	}
	var modules probetest.Modules
	for _, c := range cases {
		modules.Add(c.name, "grpc", "5s", cmp.Or(c.bb, c.grpc))
	}
	bb := probetest.StartBlackbox(t, modules.String())

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			theirs := bbSeries(bb.Families(t, c.name, c.target))
			res := probe(t, c.target, c.grpc+"\n")
			ours := ourSeries(res)
			want := documented(t, theirs, c.diff, c.cert)
			for _, name := range comparedFamilies {
				if o, w := ours[name], want[name]; !maps.Equal(o, w) {
					t.Errorf("%s: ours %v, blackbox_exporter's %v, documented %v (%s: %s)", name, o, theirs[name], w, res.Reason, res.Message)
				}
			}
			// Here the connection has phases of its own.
			op := slices.Sorted(maps.Keys(ours[Duration.Name]))
			wp := slices.Sorted(slices.Values(append(slices.Collect(maps.Keys(theirs[Duration.Name])), "connect", "tls")))
			if !slices.Equal(op, wp) {
				t.Errorf("phases: ours %v, blackbox_exporter's %v", op, slices.Sorted(maps.Keys(theirs[Duration.Name])))
			}
		})
	}
}

// difference is a case where the grpc kind differs from blackbox_exporter
// 0.23 on purpose, as the README's grpc section says, and is compared with
// the value documented in place of 0.23's.
type difference int

const (
	same difference = iota
	// The server sent a certificate that failed verification: its expiry
	// is reported, as the http and tcp kinds do; 0.23 reports none.
	unverifiedCert
	// The handshake was done and the call then failed: probe_grpc_ssl and
	// the TLS series are the connection's. 0.23 reads them off the peer of
	// an answer, which a failed call does not have, so it reports
	// probe_grpc_ssl 0 and no TLS series.
	tlsWithoutAnswer
	// An IPv6 address: 0.23 (and its master branch) join it with its port
	// without brackets, "::1:50051", which cannot be dialled, and fail
	// with Unavailable.
	ipv6Address
	// A serving status that grpc.health.v1 does not define: 0.23 adds a
	// serving_status label of its number set to 1; here the four labels of
	// the protocol stay, all 0.
	undefinedStatus
)

// documented turns what blackbox_exporter reported into what the grpc kind
// documents for the same run: the same values but for diff. Besides, 0.23
// reports probe_ssl_earliest_cert_expiry 0 when it saw no certificate (its
// master branch reports none, as here).
func documented(t *testing.T, theirs map[string]map[string]float64, diff difference, cert *x509.Certificate) map[string]map[string]float64 {
	t.Helper()
	want := maps.Clone(theirs)
	const expiry, ssl, version, hc = "probe_ssl_earliest_cert_expiry", "probe_grpc_ssl", "probe_tls_version_info", "probe_grpc_healthcheck_response"
	if want[expiry][""] == 0 {
		delete(want, expiry)
	}
	certExpiry := func() map[string]float64 { return map[string]float64{"": float64(cert.NotAfter.Unix())} }
	// Each difference checks that 0.23 still does what it documents, so
	// that a newer blackbox_exporter shows here.
	was := func(name, lv string, v float64) {
		t.Helper()
		if got, ok := theirs[name][lv]; !ok || got != v {
			t.Fatalf("blackbox_exporter's %s{%s} is %v, not %v as documented", name, lv, theirs[name], v)
		}
	}
	switch diff {
	case unverifiedCert:
		want[expiry] = certExpiry()
	case tlsWithoutAnswer:
		was(ssl, "", 0)
		want[ssl] = map[string]float64{"": 1}
		want[expiry] = certExpiry()
		want[version] = map[string]float64{"TLS 1.3": 1}
	case ipv6Address:
		was("probe_success", "", 0)
		was("probe_grpc_status_code", "", float64(codes.Unavailable))
		want["probe_success"] = map[string]float64{"": 1}
		want["probe_grpc_status_code"] = map[string]float64{"": 0}
		want[hc] = maps.Clone(theirs[hc])
		want[hc]["SERVING"] = 1
	case undefinedStatus:
		was(hc, "99", 1)
		want[hc] = maps.Clone(theirs[hc])
		delete(want[hc], "99")
	}
	return want
}

// bbSeries is what blackbox_exporter reported: by family, by its label
// values joined with commas ("" for none).
func bbSeries(mfs map[string]*dto.MetricFamily) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for name, mf := range mfs {
		out[name] = map[string]float64{}
		for _, m := range mf.GetMetric() {
			var lv []string
			for _, l := range m.GetLabel() {
				lv = append(lv, l.GetValue())
			}
			out[name][strings.Join(lv, ",")] = m.GetGauge().GetValue()
		}
	}
	return out
}

// ourSeries is what a run reported, as bbSeries has it.
func ourSeries(res probes.Result) map[string]map[string]float64 {
	out := map[string]map[string]float64{"probe_success": {"": 0}}
	if res.Success {
		out["probe_success"][""] = 1
	}
	for _, s := range res.Samples {
		if out[s.Name] == nil {
			out[s.Name] = map[string]float64{}
		}
		var lv []string
		for _, l := range s.Labels {
			lv = append(lv, l.Value)
		}
		out[s.Name][strings.Join(lv, ",")] = s.Value
	}
	return out
}
