package browser

import (
	"regexp"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/inspector"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/sloagent/sloagent/internal/clip"
)

// Bounds on what one run keeps in memory and in its diagnostics: a page
// that logs in a loop must not grow the agent.
const (
	maxMessages = 200
	maxTextLen  = 2000
)

// ConsoleMessage is one console call, uncaught exception or browser log
// entry of a run, as saved in console.json.
type ConsoleMessage struct {
	Type string `json:"type"` // console type (log, error, ...), "exception", "browser" or "dialog"
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
	Line int64  `json:"line,omitempty"` // 1-based
	// Ignored is an error that ignore_console_errors matched: kept here,
	// not counted.
	Ignored bool `json:"ignored,omitempty"`
}

// FailedRequest is a request that failed in the network or got a status of
// 400 or more, as saved in requests.json.
type FailedRequest struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	Type   string `json:"type,omitempty"`
	Status int64  `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// recorder collects a run's console and network trouble from the tab's
// events. It is called in the tab's event loop, in order, so by the time a
// command returns the events sent before its reply are counted.
type recorder struct {
	mu            sync.Mutex
	requests      map[network.RequestID]*network.Request
	console       []ConsoleMessage
	consoleErrors int
	failed        []FailedRequest
	failedCount   int
	droppedMsgs   int
	pageCrashed   bool
	ignore        []*regexp.Regexp
	firstErr      *ConsoleMessage // the first counted error, for a failure message
	// dialogs receives the tab's JavaScript dialogs for handleDialogs,
	// as the listener itself must not send commands.
	dialogs chan *page.EventJavascriptDialogOpening
}

func newRecorder(ignore []*regexp.Regexp) *recorder {
	return &recorder{
		ignore:   ignore,
		requests: map[network.RequestID]*network.Request{},
		dialogs:  make(chan *page.EventJavascriptDialogOpening, 16),
	}
}

func (r *recorder) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		m := ConsoleMessage{Type: string(ev.Type), Text: argsText(ev.Args)}
		if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
			m.URL, m.Line = st.CallFrames[0].URL, st.CallFrames[0].LineNumber+1
		}
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			r.addError(m)
			return
		}
		r.addMessage(m)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			desc, _, _ := strings.Cut(d.Exception.Description, "\n    at ")
			text += " " + desc
		}
		r.addError(ConsoleMessage{Type: "exception", Text: text, URL: d.URL, Line: d.LineNumber + 1})
	case *cdplog.EventEntryAdded:
		// The browser's own messages, such as "Failed to load resource":
		// kept for the diagnostics, not counted, as the request itself is.
		if e := ev.Entry; e != nil && e.Level == cdplog.EntryLevelError {
			r.addMessage(ConsoleMessage{Type: "browser", Text: e.Text, URL: e.URL, Line: e.LineNumber + 1})
		}
	case *inspector.EventTargetCrashed:
		r.pageCrashed = true
		r.addMessage(ConsoleMessage{Type: "browser", Text: "the page's renderer process crashed"})
	case *page.EventJavascriptDialogOpening:
		r.addMessage(ConsoleMessage{Type: "dialog", Text: string(ev.Type) + ": " + ev.Message, URL: ev.URL})
		select {
		case r.dialogs <- ev:
		default: // a page opening dialogs in a loop; the next ones wait
		}
	case *network.EventRequestWillBeSent:
		if len(r.requests) < 10000 {
			r.requests[ev.RequestID] = ev.Request
		}
	case *network.EventResponseReceived:
		if resp := ev.Response; resp != nil && resp.Status >= 400 && !isFavicon(resp.URL, ev.Type) {
			r.addFailed(FailedRequest{URL: resp.URL, Method: r.method(ev.RequestID), Type: string(ev.Type), Status: resp.Status})
		}
	case *network.EventLoadingFailed:
		// A request cancelled by a navigation or by closing the tab is not
		// the site's failure.
		if ev.Canceled {
			return
		}
		f := FailedRequest{Type: string(ev.Type), Error: ev.ErrorText}
		if req := r.requests[ev.RequestID]; req != nil {
			f.URL, f.Method = req.URL, req.Method
		}
		if isFavicon(f.URL, ev.Type) {
			return
		}
		if ev.BlockedReason != "" {
			f.Error += " (blocked: " + string(ev.BlockedReason) + ")"
		}
		r.addFailed(f)
	case *network.EventLoadingFinished:
		delete(r.requests, ev.RequestID)
	}
}

// isFavicon tells the browser's own request for /favicon.ico, which the
// page did not ask for: a site without one is not failing.
func isFavicon(u string, typ network.ResourceType) bool {
	return typ == network.ResourceTypeOther && strings.HasSuffix(strings.SplitN(u, "?", 2)[0], "/favicon.ico")
}

func (r *recorder) method(id network.RequestID) string {
	if req := r.requests[id]; req != nil {
		return req.Method
	}
	return ""
}

// addError records a console error or uncaught exception, counted unless
// an ignore_console_errors expression matches its text.
func (r *recorder) addError(m ConsoleMessage) {
	for _, re := range r.ignore {
		if re.MatchString(m.Text) {
			m.Ignored = true
			r.addMessage(m)
			return
		}
	}
	r.consoleErrors++
	if r.firstErr == nil {
		m.Text = clip.Head(m.Text, maxTextLen)
		r.firstErr = &m
	}
	r.addMessage(m)
}

// firstError returns the first counted console error, if any.
func (r *recorder) firstError() *ConsoleMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstErr
}

func (r *recorder) addMessage(m ConsoleMessage) {
	if len(r.console) >= maxMessages {
		r.droppedMsgs++
		return
	}
	m.Text = clip.Head(m.Text, maxTextLen)
	r.console = append(r.console, m)
}

func (r *recorder) addFailed(f FailedRequest) {
	r.failedCount++
	if len(r.failed) < maxMessages {
		f.URL = clip.Head(f.URL, maxTextLen)
		r.failed = append(r.failed, f)
	}
}

// crashed reports whether the tab's renderer died.
func (r *recorder) crashed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pageCrashed
}

// snapshot returns copies of what was recorded so far.
func (r *recorder) snapshot() (console []ConsoleMessage, consoleErrors int, failed []FailedRequest, failedCount int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Empty lists, never nil, so that the diagnostics say [] rather
	// than null.
	return append([]ConsoleMessage{}, r.console...), r.consoleErrors,
		append([]FailedRequest{}, r.failed...), r.failedCount
}

// argsText renders console arguments roughly as DevTools does: strings as
// they are, other values by their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, valueText(a))
	}
	return strings.Join(parts, " ")
}

func valueText(o *runtime.RemoteObject) string {
	if o == nil {
		return "null"
	}
	if o.Type == runtime.RemoteObjectTypeString {
		var s string
		if err := jsonv2.Unmarshal(o.Value, &s); err == nil {
			return s
		}
	}
	switch {
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return string(o.Type)
}
