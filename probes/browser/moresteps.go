package browser

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// visibleNode waits for the first element matching sel to be visible.
func visibleNode(ctx context.Context, sel string) (*chromedp.Node, error) {
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		return nil, waiting("the element to be visible", err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("no element matches %s", sel)
	}
	return nodes[0], nil
}

// click clicks the element once it is visible. The two waits are told
// apart: a page whose script hangs in the click handler has shown the
// element; it has not handled the click.
func (r *run) click(ctx context.Context, sel string) error {
	n, err := visibleNode(ctx, sel)
	if err != nil {
		return err
	}
	return waiting("the page to handle the click (the element was visible)", chromedp.Do(ctx, chromedp.MouseClickNode(n)))
}

func (r *run) press(ctx context.Context, p *Press) error {
	keys, ok := keyText(p.Key)
	if !ok {
		return fmt.Errorf("unknown key %q", p.Key)
	}
	if p.Selector == "" {
		return waiting("the page to handle the key", chromedp.Do(ctx, chromedp.KeyEvent(keys)))
	}
	n, err := visibleNode(ctx, p.Selector)
	if err != nil {
		return err
	}
	return waiting("the page to handle the key (the element was visible)", chromedp.Do(ctx, chromedp.KeyEventNode(n, keys)))
}

// hover moves the mouse over the middle of the element, scrolled into view,
// as a user pointing at a menu would.
func (r *run) hover(ctx context.Context, sel string) error {
	if _, err := visibleNode(ctx, sel); err != nil {
		return err
	}
	type point struct {
		X, Y  float64
		Found bool
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[point](`(() => {
  const e = document.querySelector(`+jsString(sel)+`);
  if (!e) return {x: 0, y: 0, found: false};
  e.scrollIntoView({block: 'center', inline: 'center'});
  const r = e.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2, found: true};
})()`))
	if err != nil {
		return waiting("the element", err)
	}
	if !p.Found {
		return fmt.Errorf("the element is gone")
	}
	return waiting("the page to handle the mouse (the element was visible)", chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, p.X, p.Y)))
}

// upload sets the file of a file input. Such inputs are often hidden behind
// a styled label, so the element need only be in the page.
func (r *run) upload(ctx context.Context, u *Upload) error {
	file, err := filepath.Abs(u.File)
	if err != nil {
		return err
	}
	st, err := poll(ctx, `(() => {
  const e = document.querySelector(`+jsString(u.Selector)+`);
  if (!e) return "";
  return e.tagName === 'INPUT' && e.type === 'file' ? "file" : "other";
})()`, func(s string) bool { return s != "" })
	switch {
	case err != nil:
		return waiting("the file input", err)
	case st != "file":
		return fmt.Errorf("the element is not a file input")
	}
	return waiting("the file input", chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(u.Selector), []string{file})))
}

func (r *run) waitURL(ctx context.Context, m *Match) error {
	u, err := poll(ctx, `document.location.href`, m.matches)
	if err == nil {
		return nil
	}
	if u != "" {
		return waiting(fmt.Sprintf("the URL to %s (it is %q)", m.want(), u), err)
	}
	return waiting("the page's URL", err)
}

func (r *run) setCookie(ctx context.Context, s *runStep) error {
	c := s.SetCookie
	value, err := readSecret(c.Value, c.ValueEnv, c.ValueFile)
	if err != nil {
		return err
	}
	p := network.SetCookieParams{Name: c.Name, Value: value, Domain: c.Domain, Path: c.Path, Secure: &c.Secure, HTTPOnly: &c.HTTPOnly}
	if c.Domain == "" {
		p.URL = s.cookieURL
	}
	if p.Path == "" {
		p.Path = "/"
	}
	if _, err := chromedp.Call(ctx, network.SetCookie, p); err != nil {
		return waiting("the browser", err)
	}
	return nil
}

// setHeader adds a header to those the tab sends with every request.
func (r *run) setHeader(ctx context.Context, h *SetHeader) error {
	value, err := readSecret(h.Value, h.ValueEnv, h.ValueFile)
	if err != nil {
		return err
	}
	if r.headers == nil {
		r.headers = network.Headers{}
	}
	r.headers[h.Name] = value
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: r.headers}); err != nil {
		return waiting("the browser", err)
	}
	return nil
}
