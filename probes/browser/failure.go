package browser

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sloagent/sloagent/probes"
)

// failure turns a step's error into a failed result whose reason is a
// bounded word and whose message names the step, such as
//
//	step "submit" (click #login): timed out after 5s waiting for the element to be visible
//
// s is nil for a failure before the first step.
func (r *run) failure(ctx context.Context, s *runStep, took time.Duration, err error) probes.Result {
	where := "opening a browser tab"
	if s != nil {
		where = fmt.Sprintf("step %q (%s %s)", s.name, s.act.name, s.what)
	}
	fail := func(reason, msg string) probes.Result {
		return probes.Fail(reason, where+": "+msg)
	}
	var ae *assertError
	var se *statusError
	var we *waitError
	var le *chromedp.LoadError
	switch {
	case r.browserDied(err):
		return fail(probes.ReasonBrowserUnavailable, "the browser crashed or was killed: "+oneLine(err))
	case r.rec.crashed():
		return fail(probes.ReasonStep, "the page crashed: "+oneLine(err))
	case errors.As(err, &ae):
		return fail(probes.ReasonAssertion, ae.msg)
	case errors.As(err, &se):
		return fail(probes.ReasonStatusCode, se.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The second: the run's deadline closed the tab under the step.
		what := "the step"
		if s == nil {
			what = "the browser tab"
		}
		if errors.As(err, &we) {
			what = we.what
		}
		if s != nil && s.Timeout > 0 && s.Timeout.D() <= took+50*time.Millisecond {
			return fail(probes.ReasonTimeout, fmt.Sprintf("timed out after %s waiting for %s", s.Timeout, what))
		}
		return fail(probes.ReasonTimeout, fmt.Sprintf("timed out after %s waiting for %s (the probe's timeout)", took.Round(10*time.Millisecond), what))
	case ctx.Err() != nil:
		return fail(probes.ReasonCanceled, "the run was canceled")
	case errors.As(err, &le):
		return fail(loadReason(le.ErrorText), "page load error "+le.ErrorText)
	}
	return fail(probes.ReasonStep, oneLine(err))
}

// browserDied tells a run that failed because Chromium went away, which
// chromedp reports as a cancelled context nobody cancelled.
func (r *run) browserDied(err error) bool {
	if !r.in.alive() {
		return true
	}
	if !errors.Is(err, context.Canceled) || r.tab.Err() != nil && r.in.ctx.Err() == nil {
		return false
	}
	// The connection is lost before chromedp cancels the browser's
	// context; give that a moment to settle.
	select {
	case <-r.in.ctx.Done():
		return true
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

// loadReason maps Chromium's network errors onto the probes' shared
// reasons, so a browser probe's DNS failure counts like an HTTP probe's.
func loadReason(text string) string {
	switch {
	case strings.Contains(text, "NAME_NOT_RESOLVED"), strings.Contains(text, "NAME_RESOLUTION"):
		return probes.ReasonDNS
	case strings.Contains(text, "CONNECTION_REFUSED"), strings.Contains(text, "CONNECTION_RESET"),
		strings.Contains(text, "CONNECTION_CLOSED"), strings.Contains(text, "ADDRESS_UNREACHABLE"),
		strings.Contains(text, "CONNECTION_TIMED_OUT"):
		return probes.ReasonConnect
	case strings.Contains(text, "CERT_"), strings.Contains(text, "SSL_"):
		return probes.ReasonTLS
	case strings.Contains(text, "TIMED_OUT"):
		return probes.ReasonTimeout
	}
	return probes.ReasonStep
}

func oneLine(err error) string {
	return abbreviate(err.Error(), 300)
}

// consoleFailure fails a run whose steps passed but whose pages logged
// errors, with assert_no_console_errors set.
func (r *run) consoleFailure(res probes.Result, n int, first *ConsoleMessage) probes.Result {
	msg := fmt.Sprintf("the pages logged %d console error", n)
	if n != 1 {
		msg += "s"
	}
	msg += " (assert_no_console_errors)"
	if first != nil {
		msg += fmt.Sprintf("; the first: %q", abbreviate(first.Text, 200))
		if first.URL != "" {
			msg += fmt.Sprintf(" at %s:%d", abbreviate(first.URL, 200), first.Line)
		}
	}
	out := probes.Fail(probes.ReasonAssertion, msg)
	out.Samples = res.Samples
	return out
}
