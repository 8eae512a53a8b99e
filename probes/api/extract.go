package api

import (
	"net/url"
	"regexp"
	"strconv"

	"github.com/theory/jsonpath"

	"github.com/sloagent/sloagent/probes"
)

// extraction is an Extraction compiled.
type extraction struct {
	name     string
	path     *jsonpath.Path
	pathText string
	header   string
	re       *regexp.Regexp
	group    int
	cookie   string
	secret   bool
}

func compileExtraction(e *Extraction) (extraction, error) {
	x := extraction{name: e.Name, pathText: e.JSONPath, header: e.Header, re: e.Regexp.Regexp,
		cookie: e.Cookie, secret: e.Secret}
	if e.JSONPath != "" {
		p, err := parseJSONPath(e.JSONPath)
		if err != nil {
			return x, err
		}
		x.path = p
	}
	if x.re != nil {
		switch {
		case e.Group != nil:
			x.group = *e.Group
		case x.re.NumSubexp() > 0:
			x.group = 1
		}
	}
	return x, nil
}

// apply takes the variable's value from a response.
func (e *extraction) apply(r *run, u *url.URL, resp *response) (string, *failure) {
	what := "extract " + quote(e.name) + ": "
	switch {
	case e.path != nil:
		doc, err := resp.json()
		if err != nil {
			return "", &failure{probes.ReasonAssertion, what + "the body is not JSON: " + err.Error()}
		}
		nodes := e.path.Select(doc)
		if len(nodes) == 0 {
			return "", &failure{probes.ReasonAssertion, what + "json_path " + e.pathText + " matched nothing"}
		}
		return jsonText(nodes[0]), nil
	case e.header != "":
		if v := resp.Header.Values(e.header); len(v) > 0 {
			return v[0], nil
		}
		return "", &failure{probes.ReasonAssertion, what + "no " + e.header + " header"}
	case e.re != nil:
		m := e.re.FindSubmatch(resp.Body)
		if m == nil || m[e.group] == nil {
			return "", &failure{probes.ReasonAssertion, what + "regexp " + quote(e.re.String()) + " does not match the body"}
		}
		return string(m[e.group]), nil
	case e.cookie != "":
		// The response's own Set-Cookie first; else what the run's jar
		// holds for the URL (a cookie set on a redirect).
		for _, c := range resp.cookies() {
			if c.Name == e.cookie {
				return c.Value, nil
			}
		}
		for _, c := range r.jar.Cookies(u) {
			if c.Name == e.cookie {
				return c.Value, nil
			}
		}
		return "", &failure{probes.ReasonAssertion, what + "no cookie " + strconv.Quote(e.cookie)}
	}
	return "", &failure{probes.ReasonInternal, what + "nothing to extract from"}
}
