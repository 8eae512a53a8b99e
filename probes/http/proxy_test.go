package http

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// testProxy is a forward proxy (absolute URLs and CONNECT) that sends
// every request, whatever host it names, to one local server: targets
// can have names (*.invalid) that never resolve, so a run that reaches
// the target went through the proxy.
type testProxy struct {
	url string

	mu      sync.Mutex
	hosts   []string      // the hosts asked for, in order
	connect []http.Header // the headers of each CONNECT
}

func newTestProxy(t *testing.T, upstream string) *testProxy {
	p := &testProxy{}
	p.url = server(t, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hosts = append(p.hosts, r.Host)
		if r.Method == http.MethodConnect {
			p.connect = append(p.connect, r.Header.Clone())
		}
		p.mu.Unlock()
		if r.Method == http.MethodConnect {
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer up.Close()
			w.WriteHeader(http.StatusOK)
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			go io.Copy(up, buf)
			io.Copy(conn, up)
			return
		}
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request: "+r.RequestURI, http.StatusBadRequest)
			return
		}
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+upstream+r.URL.RequestURI(), nil)
		relay(w, out)
	}).URL
	return p
}

// relay sends a proxied request on and copies the answer back.
func relay(w http.ResponseWriter, out *http.Request) {
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *testProxy) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.hosts...)
}

func fromTarget(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "from target") }

func TestNoProxy(t *testing.T) {
	target := server(t, fromTarget)
	port := target.Listener.Addr().(*net.TCPAddr).Port
	proxy := newTestProxy(t, target.Listener.Addr().String())
	c := probetest.Section[Config](t, "proxy_url: "+proxy.url+"\nno_proxy: direct.invalid,10.0.0.0/8\nfail_if_body_not_matches_regexp: [from target]")

	probetest.WantSuccess(t, probe(t, "http://proxied.invalid:"+strconv.Itoa(port)+"/", c))
	// Listed in no_proxy: the probe resolves the name itself, which
	// fails, and the proxy is not asked.
	probetest.WantFail(t, probe(t, "http://direct.invalid:"+strconv.Itoa(port)+"/", c), probes.ReasonDNS, "lookup direct.invalid")
	if got := proxy.asked(); len(got) != 1 || !strings.HasPrefix(got[0], "proxied.invalid:") {
		t.Errorf("the proxy was asked for %v", got)
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	target := server(t, fromTarget)
	port := target.Listener.Addr().(*net.TCPAddr).Port
	proxy := newTestProxy(t, target.Listener.Addr().String())
	t.Setenv("HTTP_PROXY", proxy.url)
	t.Setenv("NO_PROXY", "direct.invalid")
	c := probetest.Section[Config](t, "proxy_from_environment: true\nfail_if_body_not_matches_regexp: [from target]")

	probetest.WantSuccess(t, probe(t, "http://proxied.invalid:"+strconv.Itoa(port)+"/", c))
	probetest.WantFail(t, probe(t, "http://direct.invalid:"+strconv.Itoa(port)+"/", c), probes.ReasonDNS, "lookup direct.invalid")
	if got := proxy.asked(); len(got) != 1 {
		t.Errorf("the proxy was asked for %v", got)
	}
}

// An https target is reached through a CONNECT tunnel that carries
// proxy_connect_header.
func TestProxyConnectHeader(t *testing.T) {
	pki := testutil.NewCerts(t)
	target := tlsServer(t, pki.Server(t), true, fromTarget)
	port := target.Listener.Addr().(*net.TCPAddr).Port
	proxy := newTestProxy(t, target.Listener.Addr().String())
	c := probetest.Section[Config](t, `
proxy_url: `+proxy.url+`
proxy_connect_header:
  X-Proxy-Token: [abc]
  X-Multi: [one, two]
tls_config: {ca_file: `+pki.CAFile+`, server_name: localhost}
fail_if_body_not_matches_regexp: [from target]
`)
	res := probe(t, "https://tunneled.invalid:"+strconv.Itoa(port)+"/", c)
	probetest.WantSuccess(t, res)
	if probetest.Sample(t, res, MetricVersion) != 2 {
		t.Errorf("through the tunnel: HTTP/%v", probetest.Sample(t, res, MetricVersion))
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if len(proxy.connect) != 1 {
		t.Fatalf("%d CONNECTs", len(proxy.connect))
	}
	h := proxy.connect[0]
	if h.Get("X-Proxy-Token") != "abc" || strings.Join(h.Values("X-Multi"), ",") != "one,two" {
		t.Errorf("CONNECT headers %v", h)
	}
}
