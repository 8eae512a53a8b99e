package conf

import (
	"regexp"
	"strings"

	"github.com/prometheus/common/model"
)

// ValidLabelName reports whether name can be a Prometheus label name that a
// user may set: the classic character set ([a-zA-Z_][a-zA-Z0-9_]*, as every
// Prometheus version accepts it), and not beginning with "__", which
// Prometheus keeps for itself.
func ValidLabelName(name string) bool {
	return model.LegacyValidation.IsValidLabelName(name) && !strings.HasPrefix(name, "__")
}

// ValidMetricName reports whether name is a classic Prometheus metric name.
func ValidMetricName(name string) bool {
	return model.LegacyValidation.IsValidMetricName(name) && !strings.Contains(name, ":")
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidEnvName reports whether name can be an environment variable's name
// as shells and ${VAR} in configs write them.
func ValidEnvName(name string) bool { return envNameRE.MatchString(name) }

// ReservedLabels are the labels the agent puts on series itself, or that
// the exposition formats give a meaning: neither config labels nor a
// plugin's metrics may set them. The label names of the agent's metric
// families (reason, phase, slo, window, ...) are reserved for config labels
// too; the family tables add those.
var ReservedLabels = map[string]bool{
	"agent": true, "location": true, "probe": true, "slo": true, "job": true, "instance": true,
	"kind": true, "plugin": true, "reason": true, "result": true, "le": true, "quantile": true,
}

// ValidateEnv checks the environment a config gives a child process (a
// check, a plugin): the names of env and of inherit_env.
func ValidateEnv(r Report, env map[string]Secret, inherit []string) {
	for k := range env {
		if !ValidEnvName(k) {
			r.Errorf("env."+k, "invalid environment variable name %q", k)
		}
	}
	for i, k := range inherit {
		if !ValidEnvName(k) {
			r.Errorf("inherit_env["+itoa(i)+"]", "invalid environment variable name %q", k)
		}
	}
}
