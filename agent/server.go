package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sloagent/sloagent/agent/schedule"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/probes"
)

// Handler returns the agent's HTTP endpoints.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metricsHandler())
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "sloagent is healthy.")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !a.ready.Load() {
			http.Error(w, "sloagent is not ready.", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "sloagent is ready.")
	})
	mux.Handle("POST /-/reload", sameOrigin.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !a.opts.EnableLifecycle {
			// As Prometheus: whoever reaches the port must not be
			// able to reload a config unless that is wanted.
			http.Error(w, "the lifecycle API is not enabled: start sloagent with --web.enable-lifecycle, or send it SIGHUP", http.StatusForbidden)
			return
		}
		if err := a.Reload(); err != nil {
			http.Error(w, "config not loaded; the running config stays:\n"+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "config reloaded.")
	})))
	mux.HandleFunc("GET /config", a.serveConfig)
	mux.HandleFunc("GET /probes/{name}/run", a.serveRunPage)
	mux.Handle("POST /probes/{name}/run", sameOrigin.Handler(http.HandlerFunc(a.serveRun)))
	mux.HandleFunc("GET /diagnostics/", a.serveDiagnostics)
	mux.HandleFunc("GET /{$}", a.serveStatus)
	a.registerIncidents(mux)
	return mux
}

type gathererFunc func() ([]*dto.MetricFamily, error)

func (f gathererFunc) Gather() ([]*dto.MetricFamily, error) { return f() }

func (a *Agent) gather() ([]*dto.MetricFamily, error) {
	reg := a.gatherer.Load()
	if reg == nil {
		return nil, nil
	}
	return reg.Gather()
}

// Gatherer returns the registry of the running config, for one-shot runs and
// tests.
func (a *Agent) Gatherer() prometheus.Gatherer { return gathererFunc(a.gather) }

// serveDiagnostics serves the files failed runs left (screenshots, console
// logs), read-only and only from the diagnostics directory.
func (a *Agent) serveDiagnostics(w http.ResponseWriter, r *http.Request) {
	cfg := a.config()
	if cfg == nil {
		http.NotFound(w, r)
		return
	}
	http.StripPrefix("/diagnostics/", http.FileServer(diagnosticsFS{diagnosticsDir(cfg)})).ServeHTTP(w, r)
}

// diagnosticsFS serves the regular files under dir and nothing else: no
// directory listing, and no symbolic link, wherever it points (one placed
// there would otherwise serve /etc/shadow, or another state file).
type diagnosticsFS struct{ dir string }

func (d diagnosticsFS) Open(name string) (http.File, error) {
	rel := strings.TrimPrefix(path.Clean("/"+name), "/")
	if rel == "" {
		return nil, os.ErrNotExist
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return nil, os.ErrNotExist
	}
	defer root.Close()
	parts := strings.Split(rel, "/")
	var last os.FileInfo
	for i := range parts {
		fi, err := root.Lstat(strings.Join(parts[:i+1], "/"))
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return nil, os.ErrNotExist
		}
		last = fi
	}
	if !last.Mode().IsRegular() {
		return nil, os.ErrNotExist
	}
	f, err := root.Open(rel)
	if err != nil {
		return nil, os.ErrNotExist
	}
	// Swapped for a link since it was looked at: not the same file.
	if fi, err := f.Stat(); err != nil || !os.SameFile(fi, last) {
		f.Close()
		return nil, os.ErrNotExist
	}
	return f, nil
}

func (a *Agent) serveConfig(w http.ResponseWriter, _ *http.Request) {
	cfg := a.config()
	if cfg == nil {
		http.Error(w, "no config loaded", http.StatusServiceUnavailable)
		return
	}
	b, err := cfg.Redacted()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(b)
}

// sameOrigin refuses requests that change something (a run, a reload) when a
// browser sends them from another site's page: with basic auth, the browser
// would add the credentials to a form that page posts.
var sameOrigin = http.NewCrossOriginProtection()

// probeOf returns the probe of the running config that the request's path
// names, or writes that there is none and returns a nil state.
func (a *Agent) probeOf(w http.ResponseWriter, r *http.Request) (string, *probeState, probes.Prober) {
	name := r.PathValue("name")
	st, prober := a.probe(name)
	if st == nil {
		http.Error(w, fmt.Sprintf("no probe named %q in the running config", name), http.StatusNotFound)
	}
	return name, st, prober
}

// serveRunPage is what a link to a run shows: the probe and a button, for
// a run is POSTed (a GET must not start one: link prefetchers, crawlers).
func (a *Agent) serveRunPage(w http.ResponseWriter, r *http.Request) {
	name, st, _ := a.probeOf(w, r)
	if st == nil {
		return
	}
	st.mu.Lock()
	p := runPage{Name: name, Kind: st.cfg.Kind, Target: st.cfg.Target, Timeout: st.cfg.Timeout.D(),
		Debug: r.URL.Query().Get("debug") != "false"}
	st.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := runPageTemplate.Execute(w, p); err != nil {
		a.log.Error("rendering run page", "err", err)
	}
}

type runPage struct {
	Name, Kind string
	Target     conf.URL
	Timeout    time.Duration
	Debug      bool
}

var runPageTemplate = template.Must(template.New("run").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>run {{.Name}}</title></head>
<body style="font-family: sans-serif">
<h1>Run probe {{.Name}}</h1>
<p>{{.Kind}} probe of {{.Target}}, timeout {{.Timeout}}. The run does not count towards metrics or SLOs.</p>
<form method="post">
<label><input type="checkbox" name="debug" value="true"{{if .Debug}} checked{{end}}> show the full trace</label>
<button type="submit">Run now</button>
</form>
</body></html>
`))

// serveRun runs one configured probe now and returns its result; with
// debug=true (in the query or the form) also every detail the probe logged.
// It only runs probes of the config, never a target given in the request;
// the run waits for a slot under max_concurrent_runs like a scheduled one,
// one such run of a probe is in flight at a time, and it does not count
// towards metrics or SLOs.
func (a *Agent) serveRun(w http.ResponseWriter, r *http.Request) {
	name, st, prober := a.probeOf(w, r)
	if st == nil {
		return
	}
	// The form is one checkbox: a larger body is read no further, so that
	// it never fills memory or, as a multipart file, the disk.
	r.Body = http.MaxBytesReader(w, r.Body, maxRunForm)
	err := r.ParseForm()
	if err == nil {
		if err = r.ParseMultipartForm(maxRunForm); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			http.Error(w, fmt.Sprintf("the form of a run of probe %q is larger than %d KiB: it takes debug=true and nothing else", name, maxRunForm>>10), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, fmt.Sprintf("the form of a run of probe %q cannot be read: %v", name, err), http.StatusBadRequest)
		return
	}
	debug := r.FormValue("debug") == "true"
	var logs bytes.Buffer
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level})).With("probe", name)
	run := a.runOf(st, prober, false)
	run.Running, run.Log = &st.manual, log
	// The run may take its whole timeout, and a slot may take a while.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(run.Timeout + runWriteSlack))
	out := a.runner.Do(r.Context(), run)
	if errors.Is(out.Skipped, schedule.ErrBusy) {
		http.Error(w, fmt.Sprintf("a run of probe %q started here is still in flight; try again when it ends", name), http.StatusConflict)
		return
	}
	res := out.Result
	if out.Skipped != nil {
		res = probes.Fail(probes.ReasonInternal, "the run did not start: "+out.Skipped.Error())
	}

	cfg := st.cfg
	var b strings.Builder
	writeResult(&b, name, cfg.Kind, cfg.Target.String(), res)
	if logs.Len() > 0 {
		fmt.Fprintf(&b, "\nlog:\n%s", logs.Bytes())
	}
	// The trace shows requests, headers and command lines as they went.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, printable(a.redact.Load().String(b.String())))
}

// maxRunForm is the largest body a run's POST may have.
const maxRunForm = 64 << 10

// runWriteSlack is what a run's response may take beyond its timeout: a
// wait for a slot, and writing the trace.
const runWriteSlack = 30 * time.Second

// writeResult prints a run's result for a person: the debug endpoint and the
// probe subcommand.
func writeResult(w io.Writer, name, kind, target string, res probes.Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "probe:    %s (%s)\n", name, kind)
	if target != "" {
		fmt.Fprintf(&b, "target:   %s\n", target)
	}
	if res.Success {
		fmt.Fprintf(&b, "result:   success\n")
	} else {
		fmt.Fprintf(&b, "result:   failure\nreason:   %s\n", res.Reason)
	}
	if res.Message != "" {
		fmt.Fprintf(&b, "message:  %s\n", res.Message)
	}
	fmt.Fprintf(&b, "duration: %s\n", res.Duration.Round(time.Microsecond))
	for _, d := range res.Diagnostics {
		fmt.Fprintf(&b, "diagnostics: %s\n", d)
	}
	if len(res.Samples) > 0 {
		b.WriteString("\nmetrics:\n")
		lines := make([]string, 0, len(res.Samples))
		for _, s := range res.Samples {
			lines = append(lines, "  "+formatSample(s.Name, s.Labels, s.Value))
		}
		sort.Strings(lines)
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n")
	}
	_, _ = io.WriteString(w, b.String())
}

func formatSample(name string, labels []probes.Label, v float64) string {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%q", l.Name, l.Value)
		}
		b.WriteByte('}')
	}
	fmt.Fprintf(&b, " %g", v)
	return b.String()
}

func shutdownServer(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
