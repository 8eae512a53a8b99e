package api

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestConfigInvalid(t *testing.T) {
	probetest.InvalidFiles(t, func() probetest.Validator { return &Config{} }, map[string]string{
		"invalid-assertion.yml": `invalid-assertion.yml:5: steps[0].assertions[0]: an assertion has exactly one of status, header, body_regexp, body_not_regexp, json_path, cel and max_latency
invalid-assertion.yml:6: steps[0].assertions[1]: equals and regexp go with header or json_path
invalid-assertion.yml:7: steps[0].assertions[2].status[1]: invalid status code 999 (must be 100-599)
invalid-assertion.yml:8: steps[0].assertions[3].regexp: equals and regexp are mutually exclusive
invalid-assertion.yml:9: steps[0].assertions[4]: an assertion has exactly one of status, header, body_regexp, body_not_regexp, json_path, cel and max_latency`,
		"invalid-body-size-limit.yml": `invalid-body-size-limit.yml:1: body_size_limit: invalid size "-1": must not be negative (none lifts the limit)`,
		"invalid-cel.yml": `invalid-cel.yml:5: steps[0].assertions[0].cel: invalid CEL expression: ERROR: <input>:1:10: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}  | status ==  | .........^
invalid-cel.yml:6: steps[0].assertions[1].cel: CEL expression "status + 1" gives int, not bool`,
		"invalid-extract.yml": `invalid-extract.yml:5: steps[0].extract[0].name: missing variable name
invalid-extract.yml:6: steps[0].extract[1]: an extraction has exactly one of json_path, header, regexp and cookie
invalid-extract.yml:7: steps[0].extract[2].group: group goes with regexp
invalid-extract.yml:8: steps[0].extract[3].group: regexp "n=(\\d+)" has no group 2
invalid-extract.yml:9: steps[0].extract[4].name: "target" is the probe's target and cannot be set here`,
		"invalid-json-path.yml": `invalid-json-path.yml:5: steps[0].assertions[0].json_path: invalid JSONPath "$.items[?@.price >": jsonpath: unexpected eof at position 19
invalid-json-path.yml:7: steps[0].extract[0].json_path: invalid JSONPath "items[0]": jsonpath: unexpected identifier at position 1`,
		"invalid-request.yml": `invalid-request.yml:3: steps[0].request.method: invalid method "post": methods are case-sensitive, use "POST"
invalid-request.yml:3: steps[0].request.url: url "ftp://api.test/" must be an http:// or https:// URL
invalid-request.yml:5: steps[1].request.url: missing url
invalid-request.yml:7: steps[2].request.url: url "http:///path" has no host
invalid-request.yml:7: steps[2].request.headers: invalid header name "Bad Header"`,
		"invalid-step-names.yml": `invalid-step-names.yml:4: steps[1].name: duplicate step name "home" (also steps[0])
invalid-step-names.yml:6: steps[2].name: missing step name`,
		"invalid-steps.yml": `invalid-steps.yml:2: steps: an api probe needs at least one step`,
		"invalid-template.yml": `invalid-template.yml:4: steps[0].request.url: "{{" without a closing "}}"
invalid-template.yml:5: steps[0].request.body: invalid variable name "user-name" in {{...}}: use letters, digits and '_'`,
		"invalid-unknown-variable.yml": `invalid-unknown-variable.yml:4: steps[0].request.url: unknown variable "order_id": not in variables or secrets, and no earlier step extracts it
invalid-unknown-variable.yml:4: steps[0].request.url: unknown variable "user": not in variables or secrets, and no earlier step extracts it
invalid-unknown-variable.yml:5: steps[0].request.headers.Authorization: unknown variable "token": not in variables or secrets, and no earlier step extracts it`,
		"invalid-variables.yml": `invalid-variables.yml:1: variables.bad-name: invalid variable name "bad-name": use letters, digits and '_'
invalid-variables.yml:1: variables.target: "target" is the probe's target and cannot be set here
invalid-variables.yml:2: secrets.user: variable "user" is set twice (variables, secrets, secret_files)`,
	}, nil)
}

func TestConfigValid(t *testing.T) {
	c := &Config{}
	probetest.Valid(t, "testdata/valid.yml", c, map[string]string{"PASSWORD": "s3cret"})
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") || !strings.Contains(string(out), "password: <secret>") ||
		!strings.Contains(string(out), "X-Api-Key: <secret>") {
		t.Errorf("secrets not redacted:\n%s", out)
	}
}

func TestValidateTarget(t *testing.T) {
	probetest.Targets(t, ValidateTarget, map[string]string{
		"":                    "",
		"https://api.test/v1": "",
		"api.test:443":        `target: target "api.test:443" must be an http:// or https:// URL (it is {{target}} in the steps)`,
	})
}
