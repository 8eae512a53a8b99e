package browser

import (
	"context"

	"github.com/sloagent/sloagent/internal/conf"
)

// stepAction is one kind of step: its key in the config, whether a step has
// it, what it acts on in messages, how its fields are checked and how it
// runs. A step has exactly one.
type stepAction struct {
	name string
	has  func(*Step) bool
	// on is a short description of what the step acts on, such as
	// "#login"; never typed text or a secret.
	on func(*Step) string
	// check reports problems with the action's fields, relative to its
	// key; nil when there is nothing to check.
	check func(*Step, conf.Report)
	do    func(*run, context.Context, *runStep) error
	// setsUp marks the actions that prepare the browser context rather
	// than act on a page: they run before the implicit first navigation.
	setsUp bool
}

// stepActions are the actions a step can have, in the order a step with
// several is reported.
var stepActions = []stepAction{
	{
		name: "navigate",
		has:  func(s *Step) bool { return s.Navigate != "" },
		on:   func(s *Step) string { return s.Navigate },
		// Nothing to check: New resolves a relative URL against the
		// probe's target, into s.url.
		do: func(r *run, ctx context.Context, s *runStep) error { return r.navigate(ctx, s.url) },
	},
	{
		name: "click",
		has:  func(s *Step) bool { return s.Click != "" },
		on:   func(s *Step) string { return s.Click },
		do:   func(r *run, ctx context.Context, s *runStep) error { return r.click(ctx, s.Click) },
	},
	{
		name:  "type",
		has:   func(s *Step) bool { return s.Type != nil },
		on:    func(s *Step) string { return s.Type.Selector },
		check: func(s *Step, r conf.Report) { s.Type.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.typeText(ctx, s.Type) },
	},
	{
		name: "wait_visible",
		has:  func(s *Step) bool { return s.WaitVisible != "" },
		on:   func(s *Step) string { return s.WaitVisible },
		do:   func(r *run, ctx context.Context, s *runStep) error { return r.waitVisible(ctx, s.WaitVisible) },
	},
	{
		name: "wait_gone",
		has:  func(s *Step) bool { return s.WaitGone != "" },
		on:   func(s *Step) string { return s.WaitGone },
		do:   func(r *run, ctx context.Context, s *runStep) error { return r.waitGone(ctx, s.WaitGone) },
	},
	{
		name:  "assert_text",
		has:   func(s *Step) bool { return s.AssertText != nil },
		on:    func(s *Step) string { return s.AssertText.Selector },
		check: func(s *Step, r conf.Report) { s.AssertText.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.assertText(ctx, s.AssertText) },
	},
	{
		name:  "assert_url",
		has:   func(s *Step) bool { return s.AssertURL != nil },
		on:    func(s *Step) string { return s.AssertURL.describe() },
		check: func(s *Step, r conf.Report) { s.AssertURL.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.assertURL(ctx, s.AssertURL) },
	},
	{
		name:  "select",
		has:   func(s *Step) bool { return s.Select != nil },
		on:    func(s *Step) string { return s.Select.Selector },
		check: func(s *Step, r conf.Report) { s.Select.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.selectValue(ctx, s.Select) },
	},
	{
		name: "eval",
		has:  func(s *Step) bool { return s.Eval != "" },
		on:   func(s *Step) string { return abbreviate(s.Eval, 60) },
		do:   func(r *run, ctx context.Context, s *runStep) error { return r.eval(ctx, s.Eval) },
	},
	{
		name:  "screenshot",
		has:   func(s *Step) bool { return s.Screenshot != "" },
		on:    func(s *Step) string { return s.Screenshot },
		check: func(s *Step, r conf.Report) { validateScreenshot(r, s.Screenshot) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.screenshot(ctx, s.Screenshot) },
	},
	{
		name:  "press",
		has:   func(s *Step) bool { return s.Press != nil },
		on:    func(s *Step) string { return s.Press.describe() },
		check: func(s *Step, r conf.Report) { s.Press.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.press(ctx, s.Press) },
	},
	{
		name: "hover",
		has:  func(s *Step) bool { return s.Hover != "" },
		on:   func(s *Step) string { return s.Hover },
		do:   func(r *run, ctx context.Context, s *runStep) error { return r.hover(ctx, s.Hover) },
	},
	{
		name:  "upload",
		has:   func(s *Step) bool { return s.Upload != nil },
		on:    func(s *Step) string { return s.Upload.Selector },
		check: func(s *Step, r conf.Report) { s.Upload.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.upload(ctx, s.Upload) },
	},
	{
		name:  "wait_url",
		has:   func(s *Step) bool { return s.WaitURL != nil },
		on:    func(s *Step) string { return s.WaitURL.describe() },
		check: func(s *Step, r conf.Report) { s.WaitURL.validate(r) },
		do:    func(r *run, ctx context.Context, s *runStep) error { return r.waitURL(ctx, s.WaitURL) },
	},
	{
		name:   "set_cookie",
		has:    func(s *Step) bool { return s.SetCookie != nil },
		on:     func(s *Step) string { return s.SetCookie.Name },
		check:  func(s *Step, r conf.Report) { s.SetCookie.validate(r) },
		do:     func(r *run, ctx context.Context, s *runStep) error { return r.setCookie(ctx, s) },
		setsUp: true,
	},
	{
		name:   "set_header",
		has:    func(s *Step) bool { return s.SetHeader != nil },
		on:     func(s *Step) string { return s.SetHeader.Name },
		check:  func(s *Step, r conf.Report) { s.SetHeader.validate(r) },
		do:     func(r *run, ctx context.Context, s *runStep) error { return r.setHeader(ctx, s.SetHeader) },
		setsUp: true,
	},
}

// actions returns the actions the step has, in stepActions' order.
func (s *Step) actions() []*stepAction {
	var set []*stepAction
	for i := range stepActions {
		if stepActions[i].has(s) {
			set = append(set, &stepActions[i])
		}
	}
	return set
}

// firstAction is the step's action (the first of them, for a step that
// validation would refuse), or nil for a step without one.
func (s *Step) firstAction() *stepAction {
	for i := range stepActions {
		if stepActions[i].has(s) {
			return &stepActions[i]
		}
	}
	return nil
}

// action returns the name of the step's action and a short description of
// what it acts on, for messages: ("click", "#login").
func (s *Step) action() (string, string) {
	if a := s.firstAction(); a != nil {
		return a.name, a.on(s)
	}
	return "", ""
}

// setsUp tells the steps that prepare the browser context rather than act
// on a page: they run before the implicit first navigation.
func (s *Step) setsUp() bool {
	for _, a := range s.actions() {
		if a.setsUp {
			return true
		}
	}
	return false
}
