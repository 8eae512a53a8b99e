package http

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"gopkg.in/yaml.v3"
)

// CEL is a CEL expression over a JSON response body (the variable body),
// compiled when the config is loaded, as blackbox_exporter's
// fail_if_body_json_matches_cel takes it.
type CEL struct {
	Expression string
	program    cel.Program
}

// celEnv is the one environment every expression compiles in; an
// environment is immutable and safe to share, and building one takes
// about a millisecond.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(cel.Variable("body", cel.DynType))
})

// CompileCEL compiles expr. An expression whose type is known and is not a
// bool (body.items.size()) is an error here rather than at every run.
func CompileCEL(expr string) (*CEL, error) {
	env, err := celEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("invalid CEL expression %q: %s", expr, celIssue(iss.Err().Error()))
	}
	switch ast.OutputType().Kind() {
	case types.BoolKind, types.DynKind, types.AnyKind:
	default:
		return nil, fmt.Errorf("CEL expression %q gives %s, not a bool", expr, ast.OutputType())
	}
	// The interrupt check lets a run's deadline stop a long comprehension
	// over a large body.
	prg, err := env.Program(ast, cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("invalid CEL expression %q: %v", expr, err)
	}
	return &CEL{Expression: expr, program: prg}, nil
}

// celIssue keeps the first line of a compile error, without the source
// excerpt CEL draws under it.
func celIssue(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimPrefix(strings.TrimPrefix(s, "ERROR: "), "<input>:")
}

// UnmarshalYAML compiles the expression; a bad one is a problem on its line.
func (c *CEL) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a CEL expression as a string", n.Line)}}
	}
	compiled, err := CompileCEL(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*c = *compiled
	return nil
}

// MarshalYAML writes the expression's source.
func (c CEL) MarshalYAML() (any, error) { return c.Expression, nil }

func (c *CEL) String() string { return c.Expression }

// Eval evaluates the expression on body, decoded as JSON. A body that is
// not JSON, or a result that is not a bool, is an error.
func (c *CEL) Eval(ctx context.Context, body any) (bool, error) {
	if c.program == nil {
		return false, fmt.Errorf("CEL expression %q was not compiled (use CompileCEL)", c.Expression)
	}
	out, _, err := c.program.ContextEval(ctx, map[string]any{"body": body})
	if err != nil {
		return false, fmt.Errorf("evaluating CEL expression %q: %v", c.Expression, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("CEL expression %q gave %s, not a bool", c.Expression, out.Type().TypeName())
	}
	return b, nil
}

// decodeJSON decodes a body for CEL, numbers as float64 as blackbox_exporter
// does, so expressions compare them the same way.
func decodeJSON(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %v", err)
	}
	return v, nil
}
