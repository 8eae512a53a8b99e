package browser

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/chromedp/chromedp/kb"

	"github.com/sloagent/sloagent/internal/conf"
)

func (p *Press) validate(r conf.Report) {
	if p.Key == "" {
		r.Errorf("key", "is required")
	} else if _, ok := keyText(p.Key); !ok {
		r.Errorf("key", "unknown key %q: use a key name such as Enter, Escape, Tab, ArrowDown, Backspace, PageDown, or one character", p.Key)
	}
}

// describe says what a press step presses, for messages.
func (p *Press) describe() string {
	if p.Selector != "" {
		return p.Key + " in " + p.Selector
	}
	return p.Key
}

func (u *Upload) validate(r conf.Report) {
	if u.Selector == "" {
		r.Errorf("selector", "is required")
	}
	if u.File == "" {
		r.Errorf("file", "is required")
	}
	conf.CheckFile(r, "file", u.File)
}

func (c *SetCookie) validate(r conf.Report) {
	if c.Name == "" || strings.ContainsAny(c.Name, "=; \t\r\n") {
		r.Errorf("name", "%q is not a cookie name", c.Name)
	}
	validateSecret(r, "value", c.Value, c.ValueEnv, c.ValueFile)
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || !u.IsAbs() || u.Host == "" {
			r.Errorf("url", "%q is not an absolute URL", c.URL)
		}
	}
	if c.URL != "" && c.Domain != "" {
		r.Errorf("domain", "set url or domain, not both")
	}
}

func (h *SetHeader) validate(r conf.Report) {
	if h.Name == "" || !validHeaderName(h.Name) {
		r.Errorf("name", "%q is not a header name", h.Name)
	}
	validateSecret(r, "value", h.Value, h.ValueEnv, h.ValueFile)
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
