package api

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

const (
	timeout  = 3 * time.Second
	password = "pa55-w0rd-xyz"
)

// shop is a small API: POST /login with the right password issues a token
// (and a session cookie) that GET /orders requires.
type shop struct {
	mu     sync.Mutex
	tokens map[string]bool
	n      int
}

func newShop(t *testing.T, tls bool) (*httptest.Server, *shop) {
	t.Helper()
	s := &shop{tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /orders", s.orders)
	mux.HandleFunc("GET /profile", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "sess-1" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "hello user 42")
	})
	mux.HandleFunc("GET /go-to-profile", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "sess-1", Path: "/"})
		http.Redirect(w, r, "/profile", http.StatusFound)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"body": string(b), "auth": r.Header.Get("Authorization")})
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("GET /delay", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 2<<20))
	})
	mux.HandleFunc("GET /huge", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 11<<20))
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what some tests make
	if !tls {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, s
}

func (s *shop) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ User, Password string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.User != "probe" || in.Password != password {
		http.Error(w, `{"error":"bad credentials"}`, http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.n++
	tok := "tok-" + strings.Repeat("z", 10) + string(rune('a'+s.n%26))
	s.tokens[tok] = true
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "sess-1", Path: "/"})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req-9")
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "user": map[string]any{"id": 42, "name": "probe"}})
}

func (s *shop) orders(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	valid := ok && s.tokens[tok]
	s.mu.Unlock()
	if !valid {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"orders":[{"id":7,"total":12.5,"paid":true}],"count":1}`)
}

func newProber(t *testing.T, target, src string) probes.Prober {
	t.Helper()
	return probetest.New(t, &Kind, target, probetest.Section[Config](t, src), timeout)
}

// flow logs in, keeps the token, and lists the orders with it.
const flow = `
variables: {user: probe}
secrets: {password: ` + password + `}
steps:
  - name: login
    request:
      method: POST
      url: "{{target}}/login"
      headers: {Content-Type: application/json}
      body: '{"user": "{{user}}", "password": "{{ password }}"}'
    assertions:
      - status: 200
      - header: X-Request-Id
        equals: req-9
      - json_path: $.user.id
        equals: "42"
    extract:
      - {name: token, json_path: $.token, secret: true}
      - {name: session, cookie: session}
      - {name: request_id, header: X-Request-Id}
      - {name: user_name, regexp: '"name":"(\w+)"'}
  - name: orders
    request:
      url: "{{target}}/orders"
      headers: {Authorization: "Bearer {{token}}", X-Session: "{{session}}"}
    assertions:
      - status: [200, 203]
      - header: Content-Type
        regexp: ^application/json
      - body_regexp: '"paid":true'
      - body_not_regexp: error
      - json_path: $.orders[0].total
        regexp: ^12\.5$
      - cel: 'status == 200 && body.count == 1 && body.orders[0].id == 7 && vars.user_name == "probe" && latency < duration("5s")'
      - max_latency: 5s
`

func TestFlow(t *testing.T) {
	srv, _ := newShop(t, false)
	res, log := probetest.RunDebug(t, newProber(t, srv.URL, flow), timeout)
	probetest.WantSuccess(t, res)
	probetest.Declared(t, &Kind, res)
	if res.Message != "2 steps passed" {
		t.Errorf("message %q", res.Message)
	}
	for _, step := range []string{"login", "orders"} {
		if got := probetest.Sample(t, res, "probe_api_step_status_code", step); got != 200 {
			t.Errorf("%s status %v", step, got)
		}
		if got := probetest.Sample(t, res, "probe_api_step_success", step); got != 1 {
			t.Errorf("%s success %v", step, got)
		}
		if got := probetest.Sample(t, res, "probe_api_step_duration_seconds", step); got <= 0 {
			t.Errorf("%s duration %v", step, got)
		}
	}
	// The debug log shows every step's request and response, and no
	// secret: not the password, and not the token extracted as secret.
	for _, want := range []string{`msg="step request" step=login method=POST`, `\"user\": \"probe\", \"password\": \"<secret>\"`,
		`msg="step response" step=login status="200 OK"`, `"token\":\"<secret>\"`,
		`msg="step request" step=orders method=GET`, "Authorization: <secret>",
		`msg="step response" step=orders`, `orders\":[{\"id\":7`, "msg=result success=true"} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, password) || strings.Contains(log, "tok-zzz") {
		t.Errorf("a secret in the debug log:\n%s", log)
	}
}

func TestWrongPassword(t *testing.T) {
	srv, _ := newShop(t, false)
	src := strings.Replace(flow, "secrets: {password: "+password+"}", "secrets: {password: wrong-one}", 1)
	res := probetest.Run(t, newProber(t, srv.URL, src), timeout)
	probetest.WantFail(t, res, probes.ReasonStatusCode, `step "login" (POST `+srv.URL+`/login): status 401, want 200`)
	if got := probetest.Sample(t, res, "probe_api_step_success", "login"); got != 0 {
		t.Errorf("login success %v", got)
	}
	for name, want := range map[string]float64{"probe_api_step_success": 0, "probe_api_step_status_code": 0, "probe_api_step_duration_seconds": 0} {
		if got := probetest.Sample(t, res, name, "orders"); got != want {
			t.Errorf("%s of the step not run = %v", name, got)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `
steps:
  - name: orders
    request: {url: "{{target}}/orders"}
`), timeout)
	probetest.WantFail(t, res, probes.ReasonStatusCode, `step "orders" (GET `+srv.URL+`/orders): status 401, want 2xx`)
}

// TestAssertionFailures checks each assertion's reason and message.
func TestAssertionFailures(t *testing.T) {
	srv, _ := newShop(t, false)
	login := `
secrets: {password: ` + password + `}
steps:
  - name: login
    request: {method: POST, url: "{{target}}/login", body: '{"user":"probe","password":"{{password}}"}'}
    extract: [{name: token, json_path: $.token, secret: true}]
  - name: orders
    request: {url: "{{target}}/orders", headers: {Authorization: "Bearer {{token}}"}}
    assertions: [ASSERTION]
`
	for _, tc := range []struct{ assertion, reason, msg string }{
		{"{status: 201}", probes.ReasonStatusCode, "status 200, want 201"},
		{"{header: X-Missing}", probes.ReasonHeaderMismatch, "no X-Missing header"},
		{"{header: Content-Type, equals: text/plain}", probes.ReasonHeaderMismatch, `header Content-Type is "application/json", want "text/plain"`},
		{"{body_regexp: unpaid}", probes.ReasonBodyMismatch, `body does not match "unpaid"`},
		{"{body_not_regexp: paid}", probes.ReasonBodyMismatch, `body matches body_not_regexp "paid"`},
		{"{json_path: '$.orders[0].id', equals: '8'}", probes.ReasonAssertion, `json_path $.orders[0].id is "7", want "8"`},
		{"{json_path: '$.refunds'}", probes.ReasonAssertion, "json_path $.refunds matched nothing"},
		{"{json_path: '$.orders[0]', regexp: 'unpaid'}", probes.ReasonAssertion, `json_path $.orders[0] "{\"id\":7,\"paid\":true,\"total\":12.5}" does not match "unpaid"`},
		{"{cel: 'body.count > 1'}", probes.ReasonAssertion, `cel "body.count > 1" is false`},
		{"{cel: 'body.refunds.size() > 0'}", probes.ReasonAssertion, `cel "body.refunds.size() > 0": no such key: refunds`},
	} {
		res := probetest.Run(t, newProber(t, srv.URL, strings.Replace(login, "ASSERTION", tc.assertion, 1)), timeout)
		probetest.WantFail(t, res, tc.reason, `step "orders" (GET `+srv.URL+`/orders): `+tc.msg)
	}
}

func TestMaxLatency(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `steps: [{name: delay, request: {url: "{{target}}/delay"}, assertions: [{max_latency: 10ms}]}]`), timeout)
	probetest.WantFail(t, res, probes.ReasonAssertion, `step "delay" (GET `+srv.URL+`/delay): took `)
	probetest.WantFail(t, res, probes.ReasonAssertion, `ms, more than max_latency 10ms`)
}

func TestExtractionFailure(t *testing.T) {
	srv, _ := newShop(t, false)
	src := strings.Replace(flow, "{name: token, json_path: $.token, secret: true}", "{name: token, json_path: $.access_token, secret: true}", 1)
	res := probetest.Run(t, newProber(t, srv.URL, src), timeout)
	probetest.WantFail(t, res, probes.ReasonAssertion, `step "login" (POST `+srv.URL+`/login): extract "token": json_path $.access_token matched nothing`)

	// A failed status comes before a failed extraction.
	src = strings.Replace(src, "secrets: {password: "+password+"}", "secrets: {password: wrong-one}", 1)
	res = probetest.Run(t, newProber(t, srv.URL, src), timeout)
	probetest.WantFail(t, res, probes.ReasonStatusCode, "status 401, want 200")
}

// TestSecretsInMessages: a response that echoes a secret, quoted in a
// failure message, shows <secret>.
func TestSecretsInMessages(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `
secrets: {password: `+password+`}
steps:
  - name: echo
    request: {method: POST, url: "{{target}}/echo", body: "pw={{password}}", headers: {Authorization: "Basic {{password}}"}}
    assertions: [{json_path: $.auth, equals: nothing}]
`), timeout)
	probetest.WantFail(t, res, probes.ReasonAssertion, `json_path $.auth is "Basic <secret>", want "nothing"`)
	if strings.Contains(res.Message, password) {
		t.Errorf("secret in the message: %s", res.Message)
	}
}

func TestCookieFromRedirect(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `
steps:
  - name: profile
    request: {url: "{{target}}/go-to-profile"}
    assertions: [{body_regexp: user 42}]
    extract: [{name: session, cookie: session}]
  - name: again
    request: {url: "{{target}}/profile", headers: {X-Session: "{{session}}"}}
`), timeout)
	probetest.WantSuccess(t, res)

	res = probetest.Run(t, newProber(t, srv.URL, `
follow_redirects: false
steps:
  - name: profile
    request: {url: "{{target}}/go-to-profile"}
    assertions: [{status: 302}, {header: Location, equals: /profile}]
`), timeout)
	probetest.WantSuccess(t, res)
}

func TestRedirectLoop(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `steps: [{name: loop, request: {url: "{{target}}/loop"}}]`), timeout)
	probetest.WantFail(t, res, probes.ReasonRedirects, `step "loop" (GET `+srv.URL+`/loop): more than 10 redirects`)
}

func TestTimeouts(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `
steps:
  - {name: slow, request: {url: "{{target}}/slow"}, timeout: 200ms}
`), timeout)
	probetest.WantFail(t, res, probes.ReasonTimeout, `step "slow" (GET `+srv.URL+`/slow): timed out after 200ms (the step's timeout)`)

	res = probetest.Run(t, newProber(t, srv.URL, `steps: [{name: slow, request: {url: "{{target}}/slow"}}]`), 300*time.Millisecond)
	probetest.WantFail(t, res, probes.ReasonTimeout, `step "slow" (GET `+srv.URL+`/slow): timed out after 300ms (the probe's timeout)`)
}

func TestConnectionFailures(t *testing.T) {
	addr := testutil.FreeAddr(t)
	res := probetest.Run(t, newProber(t, "http://"+addr, `steps: [{name: home, request: {url: "{{target}}/"}}]`), timeout)
	probetest.WantFail(t, res, probes.ReasonConnect, `step "home" (GET http://`+addr+`/): connection to `+addr+` refused`)

	res = probetest.Run(t, newProber(t, "", `steps: [{name: home, request: {url: "http://api.no-such-host.invalid/"}}]`), timeout)
	probetest.WantFail(t, res, probes.ReasonDNS, `step "home" (GET http://api.no-such-host.invalid/): lookup api.no-such-host.invalid: `)
}

// body_size_limit means what it means in the http kind: a size, 10MiB
// when unset, and none (or 0, as in blackbox_exporter) for any size.
func TestBodySizeLimit(t *testing.T) {
	srv, _ := newShop(t, false)
	res := probetest.Run(t, newProber(t, srv.URL, `{body_size_limit: 1MiB, steps: [{name: big, request: {url: "{{target}}/big"}}]}`), timeout)
	probetest.WantFail(t, res, probes.ReasonBodyTooLarge, `step "big" (GET `+srv.URL+`/big): body larger than body_size_limit 1MiB`)
	res = probetest.Run(t, newProber(t, srv.URL, `{steps: [{name: huge, request: {url: "{{target}}/huge"}}]}`), timeout)
	probetest.WantFail(t, res, probes.ReasonBodyTooLarge, `step "huge" (GET `+srv.URL+`/huge): body larger than body_size_limit 10MiB`)
	for _, limit := range []string{"none", "0"} {
		res = probetest.Run(t, newProber(t, srv.URL, `{body_size_limit: `+limit+`, steps: [{name: huge, request: {url: "{{target}}/huge"}, assertions: [{body_regexp: "^\\x00+$"}]}]}`), timeout)
		if !res.Success {
			t.Errorf("body_size_limit %s: an 11 MiB body failed: %s %s", limit, res.Reason, res.Message)
		}
	}
}

func TestTLS(t *testing.T) {
	pki := testutil.NewCerts(t)
	srv, _ := newShop(t, true)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Server(t)}}
	srv.StartTLS()
	src := `
secrets: {password: ` + password + `}
tls_config: {ca_file: ` + pki.CAFile + `}
steps:
  - name: login
    request: {method: POST, url: "{{target}}/login", body: '{"user":"probe","password":"{{password}}"}'}
`
	res := probetest.Run(t, newProber(t, srv.URL, src), timeout)
	probetest.WantSuccess(t, res)
	probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry")

	res = probetest.Run(t, newProber(t, srv.URL, `steps: [{name: home, request: {url: "{{target}}/"}}]`), timeout)
	probetest.WantFail(t, res, probes.ReasonTLS, "certificate signed by unknown authority")
	probetest.Sample(t, res, "probe_ssl_earliest_cert_expiry")
	probetest.Declared(t, &Kind, res)
}
