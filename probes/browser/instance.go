package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// instance is one Chromium process. A Browser replaces its instance when the
// process crashes, stops answering, has served enough runs or grows too big.
type instance struct {
	ready chan struct{} // closed when start returned
	err   error         // why the start failed; valid after ready

	allocCancel context.CancelFunc
	ctx         context.Context // the browser's own context: never given a deadline
	cancel      context.CancelFunc
	dir         string // profile directory, removed by stop
	pid         int
	version     string

	runs     int  // runs handed out, guarded by Browser.mu
	counted  bool // counted in Stats.Starts, guarded by Browser.mu
	stopOnce sync.Once
}

// chromiumFlags suit a server: headless, root in a container, no GPU,
// nothing that reaches the network by itself, no crash reporter or
// extensions, shared memory in /tmp (a container's /dev/shm is small), and
// no throttling of the windows of concurrent runs that are not in front.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("no-default-browser-check", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-domain-reliability", true),
	chromedp.Flag("disable-client-side-phishing-detection", true),
	chromedp.Flag("safebrowsing-disable-auto-update", true),
	chromedp.Flag("metrics-recording-only", true),
	chromedp.Flag("no-pings", true),
	chromedp.Flag("disable-breakpad", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("disable-background-timer-throttling", true),
	chromedp.Flag("disable-backgrounding-occluded-windows", true),
	chromedp.Flag("disable-renderer-backgrounding", true),
	chromedp.Flag("password-store", "basic"),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.Flag("mute-audio", true),
	chromedp.WindowSize(1280, 800),
}

// resolvePath finds the executable: the configured one, else Debian's
// headless shell, else Debian's Chromium, else wherever chromedp would look
// (which includes Chrome and Edge on Windows).
//
// The headless shell is Chromium's headless mode without the browser's
// user interface underneath: on a six-step journey it used about a quarter
// of the CPU and an eighth of the memory of the full browser in headless
// mode (bench/RESULTS.md), and it runs the same engine.
func resolvePath(configured string) (string, error) {
	if configured != "" {
		p, err := exec.LookPath(configured)
		if err != nil {
			return "", fmt.Errorf("chromium not found at %s: %w", configured, unwrapExec(err))
		}
		if p == debianShellWrapper && isFile(DefaultHeadlessShellPath) {
			// Debian's wrapper runs the shell as its child rather than
			// in its place, so the shell would not die with the agent.
			return DefaultHeadlessShellPath, nil
		}
		return p, nil
	}
	for _, p := range []string{DefaultHeadlessShellPath, DefaultChromiumPath} {
		if isFile(p) {
			return p, nil
		}
	}
	for _, name := range []string{"chrome-headless-shell", "headless_shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if runtime.GOOS != "linux" {
		// chromedp knows where Chrome installs itself on Windows and
		// macOS, and falls back to Edge on Windows.
		return "", nil
	}
	return "", errors.New("chromium not found: install it (Debian: apt-get install chromium-headless-shell, or chromium) or set browser.chromium_path")
}

// debianShellWrapper is the script Debian puts on PATH for the headless
// shell.
const debianShellWrapper = "/usr/bin/chromium-headless-shell"

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// launch starts a Chromium in the background; ready closes when it answers
// or failed to start.
func launch(opts *Options, log *slog.Logger) *instance {
	in := &instance{ready: make(chan struct{})}
	go func() {
		defer close(in.ready)
		in.err = in.start(opts, log)
	}()
	return in
}

func (in *instance) start(opts *Options, log *slog.Logger) error {
	path, err := resolvePath(opts.ChromiumPath)
	if err != nil {
		return err
	}
	dir, err := newProfileDir(os.TempDir())
	if err != nil {
		return fmt.Errorf("creating the browser profile directory: %w", err)
	}
	in.dir = dir
	out := &tailBuffer{max: 4096}
	aopts := append([]chromedp.ExecAllocatorOption{}, chromiumFlags...)
	for _, f := range opts.ExtraFlags {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if hasValue {
			aopts = append(aopts, chromedp.Flag(name, value))
		} else {
			aopts = append(aopts, chromedp.Flag(name, true))
		}
	}
	if path != "" {
		aopts = append(aopts, chromedp.ExecPath(path))
	} else {
		path = "the browser"
	}
	aopts = append(aopts,
		chromedp.UserDataDir(dir),
		// The full browser keeps its crash reporter's state under
		// $XDG_CONFIG_HOME/chromium whatever the profile: kept in the
		// profile, it goes when the profile does.
		chromedp.Env("XDG_CONFIG_HOME="+dir),
		chromedp.ModifyCmdFunc(setProcAttr),
		chromedp.CombinedOutput(out),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), aopts...)
	in.allocCancel = allocCancel
	in.ctx, in.cancel = chromedp.NewContext(allocCtx,
		chromedp.WithBrowserOption(chromedp.WithBrowserLogf(discardf), chromedp.WithBrowserErrorf(debugf(log))))

	// The first Do binds the browser's life to in.ctx, so a start that
	// hangs is ended by cancelling it, never by a deadline on it.
	timedOut := false
	var mu sync.Mutex
	timer := time.AfterFunc(opts.startTimeout(), func() {
		mu.Lock()
		timedOut = true
		mu.Unlock()
		in.cancel()
	})
	err = chromedp.Do(in.ctx)
	timer.Stop()
	if err == nil {
		var v cdpbrowser.GetVersionResult
		v, err = chromedp.CallBrowser(in.ctx, cdpbrowser.GetVersion, cdp.Empty{})
		in.version = v.Product
	}
	if c := chromedp.FromContext(in.ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		in.pid = c.Browser.Process().Pid
	}
	if err == nil {
		err = closeFirstTab(in.ctx)
	}
	if err != nil {
		mu.Lock()
		to := timedOut
		mu.Unlock()
		in.stop()
		if to {
			return fmt.Errorf("starting %s: no answer within %s", path, opts.startTimeout())
		}
		if strings.HasPrefix(err.Error(), "chrome failed to start") {
			// chromedp's error holds the output too; one line of it is
			// enough for a log line.
			if tail := lastLines(out.String(), 3); tail != "" {
				return fmt.Errorf("starting %s: the browser exited at start: %s", path, tail)
			}
			return fmt.Errorf("starting %s: the browser exited at start without a word", path)
		}
		return fmt.Errorf("starting %s: %w", path, err)
	}
	log.Info("browser started", "path", path, "version", in.version, "pid", in.pid)
	return nil
}

// closeFirstTab closes the blank tab the browser starts with, which
// chromedp attaches to: runs open tabs of their own in browser contexts of
// their own, and the blank one kept a renderer process of its own
// (about 35 MB PSS) for the browser's whole life.
func closeFirstTab(ctx context.Context) error {
	c := chromedp.FromContext(ctx)
	if c == nil || c.Target == nil {
		return nil
	}
	_, err := chromedp.CallBrowser(ctx, target.CloseTarget, target.CloseTargetParams{TargetID: c.Target.TargetID})
	return err
}

// alive reports whether the process is still connected.
func (in *instance) alive() bool {
	return in.err == nil && in.ctx != nil && in.ctx.Err() == nil
}

// healthy asks the browser for its version, which it answers at once unless
// it hangs.
func (in *instance) healthy(timeout time.Duration) error {
	if !in.alive() {
		return errors.New("the browser is gone")
	}
	ctx, cancel := context.WithTimeout(in.ctx, timeout)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.GetVersion, cdp.Empty{})
	return err
}

// memory is the browser's current memory use, 0 where not measured.
func (in *instance) memory() int64 { return treeMemory(in.pid) }

// stop kills the whole process tree and removes the profile. It does not
// close Chromium gracefully: a graceful close of a hung browser hangs too,
// and the profile is thrown away anyway.
func (in *instance) stop() {
	in.stopOnce.Do(func() {
		killTree(in.pid, in.dir)
		if in.cancel != nil {
			in.cancel()
		}
		if in.allocCancel != nil {
			in.allocCancel() // waits until chromedp reaped the process
		}
		if in.dir != "" {
			_ = removeProfile(in.dir)
		}
	})
}

// lastLines returns the last n non-empty lines of s, joined into one line
// for the log.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func discardf(string, ...any) {}

func debugf(log *slog.Logger) func(string, ...any) {
	return func(format string, args ...any) {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("chromedp: " + fmt.Sprintf(format, args...))
		}
	}
}

// tailBuffer keeps the last bytes Chromium printed, for the start error.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

var _ io.Writer = (*tailBuffer)(nil)

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
