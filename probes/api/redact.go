package api

import (
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
)

// redactor replaces the values of secrets with <secret> in any text: the
// secrets of the config and those steps extract, which a response may
// echo and a message may quote.
type redactor struct {
	values []string
	r      *strings.Replacer
}

func newRedactor(values []string) *redactor {
	d := &redactor{}
	for _, v := range values {
		d.add(v)
	}
	return d
}

// add makes v a secret, and the forms a URL carries it in (escaped as
// a path segment or a query component) too.
func (d *redactor) add(v string) {
	if v == "" || slices.Contains(d.values, v) {
		return
	}
	for _, form := range []string{v, url.PathEscape(v), url.QueryEscape(v)} {
		if !slices.Contains(d.values, form) {
			d.values = append(d.values, form)
		}
	}
	// Longest first, so that a secret containing another is replaced
	// whole.
	sort.Slice(d.values, func(i, j int) bool { return len(d.values[i]) > len(d.values[j]) })
	pairs := make([]string, 0, 2*len(d.values))
	for _, s := range d.values {
		pairs = append(pairs, s, conf.Redacted)
	}
	d.r = strings.NewReplacer(pairs...)
}

func (d *redactor) text(s string) string {
	if d.r == nil {
		return s
	}
	return d.r.Replace(s)
}
