package sdk

import (
	"context"
	"log/slog"
	"testing"

	"github.com/sloagent/sloagent/plugins/sdk/pluginv1"
)

type validating struct{ fn }

func (validating) Validate(req Request) []Problem {
	var s struct {
		Port int `json:"port"`
	}
	if err := req.Decode(&s); err != nil {
		return []Problem{DecodeProblem(err)}
	}
	if req.Target == "" {
		return []Problem{TargetProblem("is empty")}
	}
	return nil
}

func TestServerValidate(t *testing.T) {
	s := &server{log: slog.New(slog.DiscardHandler), p: validating{}}
	for _, tc := range []struct {
		target, settings string
		want             *pluginv1.Problem
	}{
		{"t", `{"port":1}`, nil},
		{"t", `{"prot":1}`, &pluginv1.Problem{Setting: "prot", Message: `unknown setting "prot"`}},
		{"t", `{"port":"x"}`, &pluginv1.Problem{Setting: "port", Message: "must be of type int, not a JSON string"}},
		{"", `{}`, &pluginv1.Problem{Target: true, Message: "is empty"}},
	} {
		resp, err := s.Validate(context.Background(), &pluginv1.ValidateRequest{Target: tc.target, SettingsJson: []byte(tc.settings)})
		if err != nil {
			t.Fatal(err)
		}
		ps := resp.GetProblems()
		switch {
		case tc.want == nil && len(ps) != 0:
			t.Errorf("%s %s: %v, want no problem", tc.target, tc.settings, ps)
		case tc.want != nil && (len(ps) != 1 || ps[0].Target != tc.want.Target || ps[0].Setting != tc.want.Setting || ps[0].Message != tc.want.Message):
			t.Errorf("%s %s: %v, want %v", tc.target, tc.settings, ps, tc.want)
		}
	}
	// A plugin without Validate has nothing to say; the agent checks its
	// settings against Describe.
	plain := &server{log: slog.New(slog.DiscardHandler), p: fn(nil)}
	if resp, err := plain.Validate(context.Background(), &pluginv1.ValidateRequest{SettingsJson: []byte(`{"x":1}`)}); err != nil || len(resp.GetProblems()) != 0 {
		t.Errorf("%v %v", resp, err)
	}
}
