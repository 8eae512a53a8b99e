// Package grpc probes gRPC servers the way blackbox_exporter's grpc prober
// does: the standard health check (grpc.health.v1.Health/Check) of a
// service, with TLS and metadata, on a new connection every run, timing
// each phase and naming one bounded reason when a run fails.
package grpc

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/family"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
	"github.com/sloagent/sloagent/probes/internal/netrun"
	"github.com/sloagent/sloagent/probes/internal/tlsprobe"
)

// ReasonNotServing is the reason of a run whose health check answered with
// a status other than SERVING: the server is up and says the service is
// not. It is this kind's own reason.
const ReasonNotServing = "not_serving"

// UserAgent is sent with every call.
const UserAgent = "sloagent"

// prober is what every run of one probe shares, built when the config is
// loaded.
type prober struct {
	*netrun.Target
	authority string
	service   string
	md        metadata.MD
}

// New returns a prober for target: host:port, host, or an http:// or
// https:// URL of one.
func New(target string, c *Config) (probes.Prober, error) {
	if c == nil {
		c = &Config{}
	}
	t, err := parseTarget(target, c.TLS)
	if err != nil {
		return nil, err
	}
	to, err := netrun.NewTarget(t.host, t.port, "tcp", c.IPConfig, &c.TLSConfig, t.tls)
	if err != nil {
		return nil, err
	}
	p := &prober{Target: to, authority: net.JoinHostPort(t.host, t.port), service: c.Service}
	if len(c.Metadata) > 0 {
		p.md = metadata.MD{}
		for k, vs := range c.Metadata {
			p.md.Append(k, vs...)
		}
	}
	return p, nil
}

// Probe connects and calls the health check.
func (p *prober) Probe(ctx context.Context, log *slog.Logger) probes.Result {
	return netrun.Probe(ctx, log, phases, &run{p: p})
}

// run is the state of one run. gRPC dials and handshakes on its own
// goroutines, which may still report after the run gave up: what they
// touch (the timeline, the dial's and the handshake's outcomes, the TLS
// state of the Run) is set through the timeline's Report.
type run struct {
	netrun.Run
	p *prober

	called   bool
	code     codes.Code // of the call
	serving  grpc_health_v1.HealthCheckResponse_ServingStatus
	answered bool

	dialErr error
	tlsErr  error
	// alertErr is a TLS alert the server sent after the handshake: a
	// TLS 1.3 server checks the client's certificate then.
	alertErr error
}

func (r *run) Do() probes.Result {
	r.Enter(phaseResolve)
	if err := r.Resolve(&r.p.IP, r.p.Host); err != nil {
		return r.fail(err)
	}
	// Setting up the client is part of connecting.
	r.Enter(phaseConnect)
	res := r.Resolved
	addr := net.JoinHostPort(res.IP.String(), r.p.Port)

	var creds credentials.TransportCredentials = insecure.NewCredentials()
	if r.p.TLS != nil {
		creds = &timedCreds{TransportCredentials: credentials.NewTLS(r.p.TLS), r: r}
	}
	network := res.Network("tcp")
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent(UserAgent),
		grpc.WithDisableRetry(),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return r.dial(ctx, network, addr)
		}),
	}
	authority := r.p.authority
	if r.p.TLS == nil {
		opts = append(opts, grpc.WithAuthority(authority))
	} else {
		// Over TLS the authority is the server name verified.
		authority = r.p.TLS.ServerName
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
	if err != nil {
		return probes.Fail(probes.ReasonInternal, "creating the gRPC client: "+err.Error())
	}
	defer cc.Close()

	ctx := r.Ctx
	if r.p.md != nil {
		ctx = metadata.NewOutgoingContext(ctx, r.p.md)
	}
	r.Logf("health check", "addr", addr, "authority", authority, "tls", r.p.TLS != nil, "service", r.p.service)
	resp, err := grpc_health_v1.NewHealthClient(cc).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: r.p.service})
	if err != nil {
		r.called, r.code = true, status.Code(err)
		return r.fail(err)
	}
	r.called, r.code, r.answered, r.serving = true, codes.OK, true, resp.GetStatus()
	r.Logf("health check answered", "status", r.serving.String())
	if r.serving != grpc_health_v1.HealthCheckResponse_SERVING {
		if _, known := grpc_health_v1.HealthCheckResponse_ServingStatus_name[int32(r.serving)]; !known {
			return probes.Fail(ReasonNotServing, r.subject()+" answered serving status "+strconv.Itoa(int(r.serving))+
				", which grpc.health.v1 does not define")
		}
		return probes.Fail(ReasonNotServing, r.subject()+" is "+r.serving.String())
	}
	return probes.Result{Success: true, Message: r.subject() + " is SERVING"}
}

func (r *run) subject() string {
	if r.p.service == "" {
		return "the server"
	}
	return "service " + strconv.Quote(r.p.service)
}

// dial connects for gRPC, timing the connect phase.
func (r *run) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r.Enter(phaseConnect)
	conn, err := r.p.Dialer.DialContext(ctx, network, addr)
	if err != nil {
		r.Report(func() { r.dialErr = err })
		r.Logf("connect failed", "addr", addr, "err", err)
		return nil, err
	}
	r.Logf("connected", "addr", addr, "local", conn.LocalAddr().String())
	if r.p.TLS == nil {
		r.Enter(phaseCheck)
	}
	return conn, nil
}

// timedCreds times the TLS handshake and keeps its outcome.
type timedCreds struct {
	credentials.TransportCredentials
	r *run
}

func (c *timedCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	r := c.r
	r.Enter(phaseTLS)
	start := time.Now()
	tc, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, conn)
	took := time.Since(start)
	r.Report(func() {
		if err != nil {
			r.tlsErr, r.PeerCerts = err, tlsprobe.UnverifiedCerts(err)
		} else if ti, ok := info.(credentials.TLSInfo); ok {
			r.TLSState = &ti.State
		}
	})
	if err != nil {
		r.Logf("tls handshake failed", "err", err, "took", took)
		return tc, info, err
	}
	if ti, ok := info.(credentials.TLSInfo); ok && r.Debug {
		r.Logf("tls handshake", tlsprobe.LogArgs(&ti.State, took)...)
	}
	r.Enter(phaseCheck)
	return &alertConn{Conn: tc, r: r}, info, nil
}

// alertConn keeps a TLS alert that a read of the connection ends with.
type alertConn struct {
	net.Conn
	r *run
}

// alertWait bounds the read for an alert after a failed write.
const alertWait = 100 * time.Millisecond

// Write reads the server's alert when a write fails: a server that sent
// one and closed fails the client's next write, and gRPC then gives up on
// the connection before it reads what the server said.
func (c *alertConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.Conn.SetReadDeadline(time.Now().Add(alertWait))
		c.Read(make([]byte, 1))
	}
	return n, err
}

func (c *alertConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		if _, ok := tlsprobe.Message(err); ok {
			c.r.Report(func() {
				if c.r.alertErr == nil {
					c.r.alertErr = err
				}
			})
		}
	}
	return n, err
}

func (c *timedCreds) Clone() credentials.TransportCredentials {
	return &timedCreds{TransportCredentials: c.TransportCredentials.Clone(), r: c.r}
}

// fail turns a failed step into the run's result.
func (r *run) fail(err error) probes.Result {
	where := r.Where("")
	// The run is not finished yet: Report runs.
	st := status.Convert(err)
	var dialErr, tlsErr error
	r.Report(func() {
		dialErr, tlsErr = r.dialErr, r.tlsErr
		// An alert ends the connection: the call could not be made.
		if tlsErr == nil && st.Code() == codes.Unavailable {
			tlsErr = r.alertErr
		}
	})
	if st.Code() == codes.DeadlineExceeded && r.Ctx.Err() != context.Canceled {
		return r.Ended(where)
	}
	// What gRPC reports of a failed dial or handshake is a status
	// without its cause: name the cause.
	cause, inTLS := err, false
	switch {
	case tlsErr != nil:
		cause, inTLS = tlsErr, true
	case dialErr != nil:
		cause = dialErr
	}
	if res, ok := r.Fail(cause, where, inTLS); ok {
		return res
	}
	if dialErr != nil {
		return probes.Fail(probes.ReasonConnect, dialErr.Error())
	}
	// The status message is the server's to choose, as long as its
	// headers may be.
	msg := netprobe.Clip(st.Message())
	switch st.Code() {
	case codes.Unimplemented:
		return probes.Fail(probes.ReasonStatusCode, "the server does not implement the health service grpc.health.v1.Health (Unimplemented: "+msg+")")
	case codes.NotFound:
		return probes.Fail(probes.ReasonStatusCode, r.subject()+" is unknown to the server (NotFound)")
	case codes.Unavailable:
		return probes.Fail(probes.ReasonConnect, "server unavailable: "+msg)
	}
	return probes.Fail(probes.ReasonStatusCode, "health check failed with "+st.Code().String()+": "+msg)
}

func (r *run) Samples() []probes.Sample {
	s := r.AppendPhases(make([]probes.Sample, 0, phases.Len()+len(servingStatuses)+9))
	ssl := 0.0
	if r.TLSState != nil {
		ssl = 1
	}
	code := -1.0
	if r.called {
		code = float64(r.code)
	}
	s = append(s, family.Sample(&SSL, ssl), family.Sample(&StatusCode, code))
	for _, st := range servingStatuses {
		v := 0.0
		if r.answered && st.status == r.serving {
			v = 1
		}
		s = append(s, family.With(&HealthCheckResponse, v, st.labels))
	}
	return r.AppendSamples(s)
}
