package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/theory/jsonpath"

	"github.com/sloagent/sloagent/probes"
)

// check is a compiled assertion.
type check struct {
	status        []int
	header        string
	bodyRegexp    *regexp.Regexp
	bodyNotRegexp *regexp.Regexp
	path          *jsonpath.Path
	pathText      string
	program       cel.Program
	celText       string
	maxLatency    time.Duration
	equals        *template
	regexp        *regexp.Regexp
}

func compileAssertion(a *Assertion) (check, error) {
	c := check{status: a.Status, header: a.Header, bodyRegexp: a.BodyRegexp.Regexp,
		bodyNotRegexp: a.BodyNotRegexp.Regexp, pathText: a.JSONPath, celText: a.CEL,
		maxLatency: a.MaxLatency.D(), regexp: a.Regexp.Regexp}
	var err error
	if a.JSONPath != "" {
		if c.path, err = parseJSONPath(a.JSONPath); err != nil {
			return c, err
		}
	}
	if a.CEL != "" {
		if c.program, err = compileCEL(a.CEL); err != nil {
			return c, err
		}
	}
	if a.Equals != nil {
		t, err := parseTemplate(*a.Equals)
		if err != nil {
			return c, err
		}
		c.equals = &t
	}
	return c, nil
}

// failure is a failed assertion or extraction: its reason and what was
// wrong.
type failure struct {
	reason, msg string
}

// apply checks one response; nil means it passed.
func (c *check) apply(r *run, resp *response) *failure {
	switch {
	case len(c.status) > 0:
		for _, s := range c.status {
			if resp.StatusCode == s {
				return nil
			}
		}
		return &failure{probes.ReasonStatusCode, "status " + strconv.Itoa(resp.StatusCode) + ", want " + ints(c.status)}
	case c.header != "":
		vs := resp.Header.Values(c.header)
		if len(vs) == 0 {
			return &failure{probes.ReasonHeaderMismatch, "no " + c.header + " header"}
		}
		v := strings.Join(vs, ", ")
		if f := c.match(r, v, "header "+c.header); f != nil {
			f.reason = probes.ReasonHeaderMismatch
			return f
		}
	case c.bodyRegexp != nil:
		if !c.bodyRegexp.Match(resp.Body) {
			return &failure{probes.ReasonBodyMismatch, "body does not match " + quote(c.bodyRegexp.String())}
		}
	case c.bodyNotRegexp != nil:
		if c.bodyNotRegexp.Match(resp.Body) {
			return &failure{probes.ReasonBodyMismatch, "body matches body_not_regexp " + quote(c.bodyNotRegexp.String())}
		}
	case c.path != nil:
		doc, err := resp.json()
		if err != nil {
			return &failure{probes.ReasonAssertion, "json_path " + c.pathText + ": the body is not JSON: " + err.Error()}
		}
		nodes := c.path.Select(doc)
		if len(nodes) == 0 {
			return &failure{probes.ReasonAssertion, "json_path " + c.pathText + " matched nothing"}
		}
		return c.match(r, jsonText(nodes[0]), "json_path "+c.pathText)
	case c.program != nil:
		return c.evalCEL(r, resp)
	case c.maxLatency > 0:
		if resp.latency > c.maxLatency {
			return &failure{probes.ReasonAssertion, "took " + resp.latency.Round(time.Millisecond).String() + ", more than max_latency " + c.maxLatency.String()}
		}
	}
	return nil
}

// match applies equals or regexp to a value.
func (c *check) match(r *run, v, what string) *failure {
	switch {
	case c.equals != nil:
		want := c.equals.render(r.vars)
		if v != want {
			return &failure{probes.ReasonAssertion, what + " is " + quote(r.safe(v)) + ", want " + quote(want)}
		}
	case c.regexp != nil:
		if !c.regexp.MatchString(v) {
			return &failure{probes.ReasonAssertion, what + " " + quote(r.safe(v)) + " does not match " + quote(c.regexp.String())}
		}
	}
	return nil
}

func (c *check) evalCEL(r *run, resp *response) *failure {
	doc, err := resp.json()
	if err != nil {
		doc = nil // not JSON: body is null, text has it
	}
	headers := make(map[string]string, len(resp.Header))
	for k, vs := range resp.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	out, _, err := c.program.ContextEval(r.ctx, map[string]any{
		"status": resp.StatusCode, "headers": headers, "body": doc, "text": string(resp.Body),
		"latency": resp.latency, "vars": r.vars,
	})
	if err != nil {
		return &failure{probes.ReasonAssertion, "cel " + quote(c.celText) + ": " + err.Error()}
	}
	if b, ok := out.Value().(bool); !ok || !b {
		return &failure{probes.ReasonAssertion, "cel " + quote(c.celText) + " is false"}
	}
	return nil
}

// celEnv declares what an expression sees: the response's status, its
// headers (lower-case names, values joined with ", "), its body parsed as
// JSON (null if it is not JSON) and as text, the latency, and the
// variables.
var celEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("status", cel.IntType),
		cel.Variable("headers", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("body", cel.DynType),
		cel.Variable("text", cel.StringType),
		cel.Variable("latency", cel.DurationType),
		cel.Variable("vars", cel.MapType(cel.StringType, cel.StringType)),
	)
	if err != nil {
		panic(err) // the declarations above are fixed
	}
	return env
}()

// compileCEL checks an expression and makes it a program that a run's
// context can interrupt.
func compileCEL(expr string) (cel.Program, error) {
	ast, iss := celEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, errors.New("invalid CEL expression: " + strings.ReplaceAll(iss.Err().Error(), "\n", " "))
	}
	if t := ast.OutputType(); t != types.BoolType && t != types.DynType {
		return nil, fmt.Errorf("CEL expression %q gives %s, not bool", expr, t)
	}
	return celEnv.Program(ast, cel.InterruptCheckFrequency(100))
}

func parseJSONPath(s string) (*jsonpath.Path, error) {
	p, err := jsonpath.Parse(s)
	if err != nil {
		return nil, errors.New("invalid JSONPath " + quote(s) + ": " + err.Error())
	}
	return p, nil
}

// jsonText is a JSON value as text: a string as it is, anything else as
// JSON writes it.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func ints(l []int) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " or ")
}
