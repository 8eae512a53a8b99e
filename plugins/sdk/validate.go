package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

// Validator may be implemented besides Prober so that `sloagent
// check-config` finds what Probe would refuse with ReasonConfig (an unknown
// or ill-typed setting, a bad value, a file that cannot be read) before the
// agent runs the probe. Validate must not probe the target.
//
//	func (check) Validate(req sdk.Request) []sdk.Problem {
//		var s settings
//		if err := req.Decode(&s); err != nil {
//			return []sdk.Problem{sdk.DecodeProblem(err)}
//		}
//		if s.Port <= 0 {
//			return []sdk.Problem{sdk.SettingProblem("port", "must be positive, got %d", s.Port)}
//		}
//		return nil
//	}
//
// Without it the agent checks a probe's settings only against the names
// Describe lists (unknown ones, missing required ones).
type Validator interface {
	Validate(req Request) []Problem
}

// Problem is one thing wrong with a probe's target or settings.
type Problem struct {
	// Target is true for a problem with the target.
	Target bool
	// Setting is the key of the setting, nested keys joined with "."; empty
	// for the settings as a whole (or the target).
	Setting string
	Message string
}

// TargetProblem is a problem with the probe's target.
func TargetProblem(format string, args ...any) Problem {
	return Problem{Target: true, Message: fmt.Sprintf(format, args...)}
}

// SettingProblem is a problem with one setting.
func SettingProblem(setting, format string, args ...any) Problem {
	return Problem{Setting: setting, Message: fmt.Sprintf(format, args...)}
}

// DecodeProblem turns an error of Request.Decode into a problem with the
// setting it is about, where the error says which.
func DecodeProblem(err error) Problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return SettingProblem(te.Field, "must be of type %s, not a JSON %s", te.Type, te.Value)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		return SettingProblem(name, "unknown setting %q", name)
	}
	return Problem{Message: strings.TrimPrefix(msg, "json: ")}
}

func (s *server) Validate(ctx context.Context, in *pluginv1.ValidateRequest) (*pluginv1.ValidateResponse, error) {
	out := &pluginv1.ValidateResponse{}
	v, ok := s.p.(Validator)
	if !ok {
		return out, nil
	}
	req := s.request(ctx, in.Target, in.Probe, in.SettingsJson)
	for _, p := range v.Validate(req) {
		out.Problems = append(out.Problems, &pluginv1.Problem{Target: p.Target, Setting: valid(p.Setting), Message: valid(p.Message)})
	}
	return out, nil
}
