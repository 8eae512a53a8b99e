package browser

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/chromedp/chromedp/kb"

	"github.com/sloagent/sloagent/internal/conf"
)

// validateMore checks the steps that act on keys, the mouse, files and the
// browser context.
func (s *Step) validateMore(r conf.Report) {
	switch {
	case s.Press != nil:
		if s.Press.Key == "" {
			r.Errorf("press.key", "is required")
		} else if _, ok := keyText(s.Press.Key); !ok {
			r.Errorf("press.key", "unknown key %q: use a key name such as Enter, Escape, Tab, ArrowDown, Backspace, PageDown, or one character", s.Press.Key)
		}
	case s.Upload != nil:
		if s.Upload.Selector == "" {
			r.Errorf("upload.selector", "is required")
		}
		if s.Upload.File == "" {
			r.Errorf("upload.file", "is required")
		}
		conf.CheckFile(r, "upload.file", s.Upload.File)
	case s.WaitURL != nil:
		s.WaitURL.validate(r.At("wait_url"))
	case s.SetCookie != nil:
		c := s.SetCookie
		if c.Name == "" || strings.ContainsAny(c.Name, "=; \t\r\n") {
			r.Errorf("set_cookie.name", "%q is not a cookie name", c.Name)
		}
		validateSecret(r.At("set_cookie"), "value", c.Value, c.ValueEnv, c.ValueFile)
		if c.URL != "" {
			if u, err := url.Parse(c.URL); err != nil || !u.IsAbs() || u.Host == "" {
				r.Errorf("set_cookie.url", "%q is not an absolute URL", c.URL)
			}
		}
		if c.URL != "" && c.Domain != "" {
			r.Errorf("set_cookie.domain", "set url or domain, not both")
		}
	case s.SetHeader != nil:
		h := s.SetHeader
		if h.Name == "" || !validHeaderName(h.Name) {
			r.Errorf("set_header.name", "%q is not a header name", h.Name)
		}
		validateSecret(r.At("set_header"), "value", h.Value, h.ValueEnv, h.ValueFile)
	}
}

func validHeaderName(s string) bool {
	for _, c := range s {
		if c > 0x7e || c <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return http.CanonicalHeaderKey(s) != ""
}

// keyText returns what chromedp types for a key name (Enter, Escape,
// ArrowDown, as in KeyboardEvent.key) or a single character.
func keyText(name string) (string, bool) {
	if utf8.RuneCountInString(name) == 1 {
		return name, true
	}
	best := rune(-1)
	for r, k := range kb.Keys {
		if k.Key == name && (best < 0 || r < best) {
			best = r
		}
	}
	if best < 0 {
		return "", false
	}
	return string(best), true
}
