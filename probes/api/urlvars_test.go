package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// awkward is a value with each character that means something in a URL,
// and one that is not ASCII.
const awkward = "a b&c=d/e#f?g+h%i é"

// seen is what a request carried when it reached the server.
type seen struct {
	Path, RawPath, Segment string
	Query                  url.Values
	Header                 string
	Body                   map[string]string
}

// newRecorder serves /api/items/{name} (GET and POST) and /api/id, which
// answers {"id": awkward}, and records what each items request carried.
func newRecorder(t *testing.T) (*httptest.Server, func() []seen) {
	t.Helper()
	var (
		mu  sync.Mutex
		all []seen
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/items/{name}", func(w http.ResponseWriter, r *http.Request) {
		s := seen{Path: r.URL.Path, RawPath: r.URL.RawPath, Segment: r.PathValue("name"), Query: r.URL.Query(), Header: r.Header.Get("X-Name")}
		if r.Method == http.MethodPost {
			if err := json.NewDecoder(r.Body).Decode(&s.Body); err != nil {
				http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		mu.Lock()
		all = append(all, s)
		mu.Unlock()
	})
	mux.HandleFunc("GET /api/id", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"id": awkward})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), all...)
	}
}

// TestURLVariablesEscaped: a value in the path is one segment and in the
// query one parameter's value, whatever it holds, both when it is set in
// the config and when an earlier step extracts it; the target at the
// start of the URL goes in as it is; a header and a JSON body get the
// value as it is.
func TestURLVariablesEscaped(t *testing.T) {
	srv, requests := newRecorder(t)
	res := probetest.Run(t, newProber(t, srv.URL+"/api", `
variables: {name: "`+awkward+`"}
steps:
  - name: configured
    request: {url: "{{target}}/items/{{name}}?q={{name}}&page=1#{{name}}"}
  - name: id
    request: {url: "{{target}}/id"}
    extract: [{name: id, json_path: $.id}]
  - name: extracted
    request: {url: "{{target}}/items/{{ id }}?q={{id}}&page=1"}
  - name: post
    request:
      method: POST
      url: "{{target}}/items/{{name}}?q={{name}}&page=1"
      headers: {Content-Type: application/json, X-Name: "{{name}}"}
      body: '{"name": "{{name}}"}'
`), timeout)
	probetest.WantSuccess(t, res)

	got := requests()
	if len(got) != 3 {
		t.Fatalf("%d requests reached /api/items/, want 3: %+v", len(got), got)
	}
	wantQuery := url.Values{"q": {awkward}, "page": {"1"}}
	for i, s := range got {
		if s.Segment != awkward || s.Path != "/api/items/"+awkward || s.RawPath != "/api/items/"+url.PathEscape(awkward) {
			t.Errorf("request %d: path %q (raw %q, segment %q), want the segment %q", i, s.Path, s.RawPath, s.Segment, awkward)
		}
		if !reflect.DeepEqual(s.Query, wantQuery) {
			t.Errorf("request %d: query %q, want %q", i, s.Query, wantQuery)
		}
	}
	if post := got[2]; post.Header != awkward || post.Body["name"] != awkward {
		t.Errorf("header %q and body %q, want the value as it is, %q", post.Header, post.Body, awkward)
	}
}

// TestURLVariablesSecret: a secret in a URL is escaped there, and reads
// <secret> in messages and in the debug log all the same.
func TestURLVariablesSecret(t *testing.T) {
	const secret = "k3y w/th&odd#chars"
	srv, _ := newRecorder(t)
	res, log := probetest.RunDebug(t, newProber(t, srv.URL+"/api", `
secrets: {key: "`+secret+`"}
steps:
  - name: items
    request: {url: "{{target}}/items/{{key}}?key={{key}}"}
    assertions: [{status: 201}]
`), timeout)
	probetest.WantFail(t, res, probes.ReasonStatusCode, `step "items" (GET `+srv.URL+`/api/items/<secret>?key=<secret>): status 200, want 201`)
	for _, form := range []string{secret, url.PathEscape(secret), url.QueryEscape(secret)} {
		if strings.Contains(res.Message, form) || strings.Contains(log, form) {
			t.Errorf("the secret as %q in the message or the debug log:\n%s\n%s", form, res.Message, log)
		}
	}
	if !strings.Contains(log, `url="`+srv.URL+`/api/items/<secret>?key=<secret>"`) {
		t.Errorf("debug log lacks the step's redacted URL:\n%s", log)
	}
}

// TestURLTemplateParts checks which part of a URL each variable stands in
// by the URL the template renders.
func TestURLTemplateParts(t *testing.T) {
	vars := map[string]string{
		"target": "https://api.test:8443/v1?tenant=a%20b&x=1",
		"base":   "https://api.test/v1",
		"path":   "/metrics/a b",
		"host":   "api.test",
		"port":   "8443",
		"scheme": "https",
		"v":      "x y/z&é#?",
	}
	for tmpl, want := range map[string]string{
		"{{target}}":                        "https://api.test:8443/v1?tenant=a%20b&x=1",
		"{{base}}/search/{{v}}?q={{v}}":     "https://api.test/v1/search/x%20y%2Fz&%C3%A9%23%3F?q=x+y%2Fz%26%C3%A9%23%3F",
		"{{base}}{{path}}":                  "https://api.test/v1/metrics/a b", // a path right after the target is part of the URL
		"https://{{host}}/{{v}}":            "https://api.test/x%20y%2Fz&%C3%A9%23%3F",
		"{{scheme}}://{{host}}:{{port}}/p/": "https://api.test:8443/p/",
		"http://h/a/{{v}}/b/{{v}}":          "http://h/a/x%20y%2Fz&%C3%A9%23%3F/b/x%20y%2Fz&%C3%A9%23%3F",
		"http://h/?{{v}}={{v}}":             "http://h/?x+y%2Fz%26%C3%A9%23%3F=x+y%2Fz%26%C3%A9%23%3F",
		"http://h/p?a=/{{v}}#{{v}}":         "http://h/p?a=/x+y%2Fz%26%C3%A9%23%3F#x%20y%2Fz&%C3%A9%23%3F",
		"http://h/p#{{v}}?{{v}}":            "http://h/p#x%20y%2Fz&%C3%A9%23%3F?x%20y%2Fz&%C3%A9%23%3F",
	} {
		tp, err := parseURLTemplate(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if got := tp.render(vars); got != want {
			t.Errorf("%s renders %q, want %q", tmpl, got, want)
		}
	}
	// Read back, a value is the part it stands in.
	tp, _ := parseURLTemplate("http://h/p/{{v}}?q={{v}}#{{v}}")
	u, err := url.Parse(tp.render(vars))
	if err != nil {
		t.Fatal(err)
	}
	if seg := strings.TrimPrefix(u.EscapedPath(), "/p/"); seg != url.PathEscape(vars["v"]) || u.Query().Get("q") != vars["v"] || u.Fragment != vars["v"] {
		t.Errorf("read back: segment %q, query %q, fragment %q; want %q", seg, u.Query(), u.Fragment, vars["v"])
	}
}
