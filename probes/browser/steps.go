package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pollInterval is how often waits and assertions look at the page again.
const pollInterval = 100 * time.Millisecond

// assertError is a check that did not hold: the page worked, but not as the
// journey expects.
type assertError struct{ msg string }

func (e *assertError) Error() string { return e.msg }

// statusError is a page that loaded with an HTTP error status.
type statusError struct{ status int64 }

func (e *statusError) Error() string {
	return fmt.Sprintf("the page answered with status %d", e.status)
}

// waitError is a wait that ran out of time; what says what it waited for.
type waitError struct {
	what string
	err  error
}

func (e *waitError) Error() string { return e.what }
func (e *waitError) Unwrap() error { return e.err }

// setup opens the tab and installs the Web Vitals script before any page
// loads in it.
func (r *run) setup(ctx context.Context) error {
	// The first Do creates the tab; it must get the tab's own context,
	// which the tab's event loop lives on.
	if err := chromedp.Do(r.tab); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: vitalsScript})
	return err
}

// step runs one step.
func (r *run) step(ctx context.Context, s *runStep) error {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout.D())
		defer cancel()
	}
	return s.act.do(r, ctx, s)
}

func (r *run) navigate(ctx context.Context, url string) error {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return waiting("the page to load", err)
	}
	if resp != nil && resp.Status >= 400 {
		return &statusError{status: resp.Status}
	}
	return nil
}

// typeText types into the element once it is visible.
func (r *run) typeText(ctx context.Context, t *TypeAction) error {
	text, err := t.text()
	if err != nil {
		return err
	}
	n, err := visibleNode(ctx, t.Selector)
	if err != nil {
		return err
	}
	err = chromedp.Do(ctx, chromedp.KeyEventNode(n, text))
	if err != nil && text != "" && strings.Contains(err.Error(), text) {
		// Never let the typed text reach a log line.
		err = errors.New(strings.ReplaceAll(err.Error(), text, "<secret>"))
	}
	return waiting("the page to take the typed text (the element was visible)", err)
}

func (r *run) waitVisible(ctx context.Context, sel string) error {
	return waiting("the element to be visible", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))))
}

// screenshot saves the page with the run's diagnostics as name.png.
func (r *run) screenshot(ctx context.Context, name string) error {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return waiting("the screenshot", err)
	}
	r.diag.write(name+".png", png)
	return nil
}

// waiting marks a deadline hit while waiting for what.
func waiting(what string, err error) error {
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return &waitError{what: what, err: err}
	}
	return err
}

// poll evaluates expr until check accepts its result or ctx ends; it
// returns the last result seen.
func poll[T any](ctx context.Context, expr string, check func(T) bool) (T, error) {
	var last T
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		if err == nil {
			last = v
			if check(v) {
				return v, nil
			}
		} else if ctx.Err() == nil && !transient(err) {
			return last, err
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// transient errors come from a page in the middle of a navigation, when
// there is briefly no document to evaluate in.
func transient(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "context") || strings.Contains(msg, "navigat") || strings.Contains(msg, "detached")
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// elementState is what the page scripts report about a selector.
type elementState struct {
	Found   bool   `json:"found"`
	Visible bool   `json:"visible"`
	Text    string `json:"text"`
	Error   string `json:"error"`
}

// elementScript reports on the first element matching sel; a visible
// element has a box and is not hidden by visibility.
func elementScript(sel string) string {
	return `(() => {
  let e;
  try { e = document.querySelector(` + jsString(sel) + `); } catch (x) { return {found: false, visible: false, text: "", error: String(x.message || x)}; }
  if (!e) return {found: false, visible: false, text: "", error: ""};
  const r = e.getBoundingClientRect();
  const visible = r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
  return {found: true, visible: visible, text: (e.innerText !== undefined ? e.innerText : e.textContent) || "", error: ""};
})()`
}

func (r *run) waitGone(ctx context.Context, sel string) error {
	st, err := poll(ctx, elementScript(sel), func(s elementState) bool { return s.Error != "" || !s.Visible })
	if err != nil {
		return waiting("the element to disappear", err)
	}
	if st.Error != "" {
		return fmt.Errorf("invalid selector: %s", st.Error)
	}
	return nil
}

func (r *run) assertText(ctx context.Context, a *AssertText) error {
	st, err := poll(ctx, elementScript(a.Selector), func(s elementState) bool {
		return s.Error != "" || s.Found && a.Match.matches(s.Text)
	})
	switch {
	case st.Error != "":
		return fmt.Errorf("invalid selector: %s", st.Error)
	case err == nil:
		return nil
	case !st.Found:
		return waiting("the element", err)
	case errors.Is(err, context.DeadlineExceeded):
		return &assertError{msg: fmt.Sprintf("text is %q, want it to %s", abbreviate(st.Text, 200), a.Match.want())}
	}
	return err
}

func (r *run) assertURL(ctx context.Context, m *Match) error {
	u, err := poll(ctx, `document.location.href`, m.matches)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) && u != "" {
		return &assertError{msg: fmt.Sprintf("URL is %q, want it to %s", u, m.want())}
	}
	return waiting("the page's URL", err)
}

func (r *run) selectValue(ctx context.Context, s *SelectValue) error {
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(s.Selector))); err != nil {
		return waiting("the element to be visible", err)
	}
	// Set the value as a user would, with the events that frameworks
	// listen for, and fail on an option that does not exist rather than
	// leaving the select empty.
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
  const e = document.querySelector(`+jsString(s.Selector)+`);
  if (!e) return "the element is gone";
  if (!e.options) return "the element is not a select";
  if (![...e.options].some(o => o.value === `+jsString(s.Value)+`)) return "it has no option with that value";
  e.value = `+jsString(s.Value)+`;
  e.dispatchEvent(new Event('input', {bubbles: true}));
  e.dispatchEvent(new Event('change', {bubbles: true}));
  return "";
})()`))
	if err != nil {
		return waiting("the element", err)
	}
	if res != "" {
		return fmt.Errorf("cannot select %q: %s", s.Value, res)
	}
	return nil
}

func (r *run) eval(ctx context.Context, expr string) error {
	// A promise is awaited, so an expression can wait for the page.
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		"Promise.resolve((\n"+expr+"\n)).then(v => !!v)", chromedp.EvalAwaitPromise))
	var ee *chromedp.ExceptionError
	if errors.As(err, &ee) && ee.ExceptionDetails != nil {
		msg := ee.Text
		if ee.Exception != nil && ee.Exception.Description != "" {
			// The description is the error and its stack; the stack
			// only points into the wrapper above.
			msg, _, _ = strings.Cut(ee.Exception.Description, "\n")
		}
		return fmt.Errorf("the expression threw %s", msg)
	}
	if err != nil {
		return waiting("the expression", err)
	}
	if !ok {
		return &assertError{msg: "the expression is not truthy"}
	}
	return nil
}

func (m *Match) matches(s string) bool {
	if m.Regexp.Regexp != nil {
		return m.Regexp.MatchString(s)
	}
	return strings.Contains(s, m.Contains)
}

func (m *Match) want() string {
	if m.Regexp.Regexp != nil {
		return fmt.Sprintf("match %q", m.Regexp.String())
	}
	return fmt.Sprintf("contain %q", m.Contains)
}
