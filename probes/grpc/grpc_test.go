package grpc

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

const timeout = 2 * time.Second

// serve starts a gRPC server with the standard health service (unless
// noHealth) on a loopback address of network and returns it and its address.
func serve(t testing.TB, network string, noHealth bool, opts ...grpc.ServerOption) (*health.Server, string) {
	t.Helper()
	ln := probetest.Listen(t, network)
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	if !noHealth {
		grpc_health_v1.RegisterHealthServer(srv, hs)
	}
	hs.SetServingStatus("orders", grpc_health_v1.HealthCheckResponse_SERVING)
	hs.SetServingStatus("payments", grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return hs, ln.Addr().String()
}

func probe(t *testing.T, target, src string) probes.Result {
	t.Helper()
	return probetest.Probe(t, &Kind, target, probetest.Section[Config](t, src), timeout)
}

func TestServing(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		_, addr := serve(t, network, false)
		res := probe(t, addr, "{}")
		probetest.WantSuccess(t, res)
		if res.Message != "the server is SERVING" {
			t.Errorf("message %q", res.Message)
		}
		for _, c := range []struct {
			name string
			lv   []string
			want float64
		}{
			{"probe_grpc_status_code", nil, 0},
			{"probe_grpc_ssl", nil, 0},
			{"probe_grpc_healthcheck_response", []string{"SERVING"}, 1},
			{"probe_grpc_healthcheck_response", []string{"NOT_SERVING"}, 0},
			{"probe_grpc_healthcheck_response", []string{"UNKNOWN"}, 0},
			{"probe_grpc_healthcheck_response", []string{"SERVICE_UNKNOWN"}, 0},
		} {
			if got := probetest.Sample(t, res, c.name, c.lv...); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.name, c.lv, got, c.want)
			}
		}
		for _, ph := range []string{"connect", "check"} {
			if got := probetest.Sample(t, res, "probe_grpc_duration_seconds", ph); got <= 0 {
				t.Errorf("%s phase = %v", ph, got)
			}
		}
		if got := probetest.Sample(t, res, "probe_ip_protocol"); (got == 6) != (network == "tcp6") {
			t.Errorf("probe_ip_protocol = %v on %s", got, network)
		}
	}
}

func TestService(t *testing.T) {
	_, addr := serve(t, "tcp4", false)
	probetest.WantSuccess(t, probe(t, addr, "service: orders"))

	res := probe(t, addr, "service: payments")
	probetest.WantFail(t, res, ReasonNotServing, `service "payments" is NOT_SERVING`)
	if got := probetest.Sample(t, res, "probe_grpc_healthcheck_response", "NOT_SERVING"); got != 1 {
		t.Errorf("NOT_SERVING = %v", got)
	}

	res = probe(t, addr, "service: shipping")
	probetest.WantFail(t, res, probes.ReasonStatusCode, `service "shipping" is unknown to the server (NotFound)`)
	if got := probetest.Sample(t, res, "probe_grpc_status_code"); got != float64(codes.NotFound) {
		t.Errorf("probe_grpc_status_code = %v", got)
	}
}

func TestStatusChanges(t *testing.T) {
	hs, addr := serve(t, "tcp4", false)
	p, _ := New(addr, probetest.Section[Config](t, "service: orders"))
	probetest.WantSuccess(t, probetest.Run(t, p, timeout))
	hs.SetServingStatus("orders", grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	probetest.WantFail(t, probetest.Run(t, p, timeout), ReasonNotServing, `service "orders" is NOT_SERVING`)
}

func TestNoHealthService(t *testing.T) {
	_, addr := serve(t, "tcp4", true)
	res := probe(t, addr, "{}")
	probetest.WantFail(t, res, probes.ReasonStatusCode, "the server does not implement the health service grpc.health.v1.Health (Unimplemented")
}

func TestMetadata(t *testing.T) {
	auth := grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer s3cret" {
			return nil, status.Error(codes.Unauthenticated, "no token")
		}
		if ua := md.Get("user-agent"); len(ua) == 0 || !strings.HasPrefix(ua[0], UserAgent+" ") {
			return nil, status.Errorf(codes.InvalidArgument, "user agent %v", ua)
		}
		return h(ctx, req)
	})
	_, addr := serve(t, "tcp4", false, auth)
	probetest.WantSuccess(t, probe(t, addr, "metadata: {authorization: ['Bearer s3cret']}"))
	res := probe(t, addr, "{}")
	probetest.WantFail(t, res, probes.ReasonStatusCode, "health check failed with Unauthenticated: no token")
}

func TestTLS(t *testing.T) {
	pki := testutil.NewCerts(t)
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pki.Server(t)}})
	_, addr := serve(t, "tcp4", false, grpc.Creds(creds))

	res := probe(t, addr, "{tls: true, tls_config: {ca_file: "+pki.CAFile+"}}")
	probetest.WantSuccess(t, res)
	if got := probetest.Sample(t, res, "probe_grpc_ssl"); got != 1 {
		t.Errorf("probe_grpc_ssl = %v", got)
	}
	if got := probetest.Sample(t, res, "probe_grpc_duration_seconds", "tls"); got <= 0 {
		t.Errorf("tls phase = %v", got)
	}
	probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry")
	probetest.Sample(t, res, "probe_tls_version_info", "TLS 1.3")

	// An https:// target means TLS.
	probetest.WantSuccess(t, probe(t, "https://"+addr, "tls_config: {ca_file: "+pki.CAFile+"}"))

	res = probe(t, addr, "tls: true")
	probetest.WantFail(t, res, probes.ReasonTLS, "certificate signed by unknown authority (CN=test server issued by CN=sloagent test CA)")
	probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry")

	// Plain text to a TLS server.
	res = probe(t, addr, "{}")
	probetest.WantFail(t, res, probes.ReasonConnect, "server unavailable: ")
}

// A TLS 1.3 server checks the client's certificate after the handshake:
// its alert is a TLS failure all the same.
func TestClientCertificateRequired(t *testing.T) {
	pki := testutil.NewCerts(t)
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pki.Server(t)},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.Pool()})
	_, addr := serve(t, "tcp4", false, grpc.Creds(creds))
	res := probe(t, addr, "{tls: true, tls_config: {ca_file: "+pki.CAFile+"}}")
	probetest.WantFail(t, res, probes.ReasonTLS, "TLS alert from the server: certificate required")
	if got := probetest.Sample(t, res, "probe_grpc_status_code"); got != float64(codes.Unavailable) {
		t.Errorf("probe_grpc_status_code = %v", got)
	}

	cert, key := pki.Files(t, "client", pki.Leaf(t, "prober", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false, "prober"))
	probetest.WantSuccess(t, probe(t, addr, "{tls: true, tls_config: {ca_file: "+pki.CAFile+", cert_file: "+cert+", key_file: "+key+"}}"))
}

func TestRefused(t *testing.T) {
	addr := testutil.FreeAddr(t)
	res := probe(t, addr, "{}")
	probetest.WantFail(t, res, probes.ReasonConnect, "connection to "+addr+" refused")
	if got := probetest.Sample(t, res, "probe_grpc_status_code"); got != float64(codes.Unavailable) {
		t.Errorf("probe_grpc_status_code = %v", got)
	}
}

func TestSilentServer(t *testing.T) {
	// It accepts, and never answers.
	addr := testutil.ServeTCP(t, func(c *net.TCPConn) { io.Copy(io.Discard, c) })
	p, _ := New(addr, nil)
	res := probetest.Run(t, p, 300*time.Millisecond)
	probetest.WantFail(t, res, probes.ReasonTimeout, "timed out after 300ms while waiting for the health check's answer (check phase)")
}

func TestUnknownHost(t *testing.T) {
	res := probe(t, "grpc.no-such-host.invalid:443", "{}")
	probetest.WantFail(t, res, probes.ReasonDNS, "lookup grpc.no-such-host.invalid: ")
	if got := probetest.Sample(t, res, "probe_grpc_status_code"); got != -1 {
		t.Errorf("probe_grpc_status_code = %v, want -1", got)
	}
}

func TestDebugLog(t *testing.T) {
	_, addr := serve(t, "tcp4", false)
	p, _ := New(addr, probetest.Section[Config](t, "service: orders"))
	res, log := probetest.RunDebug(t, p, timeout)
	probetest.WantSuccess(t, res)
	for _, want := range []string{"msg=connected", `msg="health check" addr=` + addr, "service=orders",
		`msg="health check answered" status=SERVING`, "msg=result success=true"} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
}

func TestTargets(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		in   string
		tls  *bool
		want target
		err  string
	}{
		{"grpc.test:50051", nil, target{"grpc.test", "50051", false}, ""},
		{"grpc.test", nil, target{"grpc.test", "80", false}, ""},
		{"grpc.test", &yes, target{"grpc.test", "443", true}, ""},
		{"https://grpc.test", nil, target{"grpc.test", "443", true}, ""},
		{"https://grpc.test:8443", &no, target{"grpc.test", "8443", false}, ""},
		{"http://[::1]:50051", nil, target{"::1", "50051", false}, ""},
		{"grpc://grpc.test", nil, target{}, `target "grpc://grpc.test" is not a gRPC server's address: scheme must be http or https, or none`},
		{"https://grpc.test/health", nil, target{}, `target "https://grpc.test/health" is not a gRPC server's address: a URL target has only a scheme, host and port`},
	} {
		got, err := parseTarget(tc.in, tc.tls)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("parseTarget(%q) error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseTarget(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}
