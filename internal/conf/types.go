package conf

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

func quote(s string) string { return strconv.Quote(s) }
func itoa(i int) string     { return strconv.Itoa(i) }

func typeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, fmt.Sprintf(format, args...))}}
}

// Duration is a time.Duration written as Prometheus writes them: 500ms, 30s,
// 5m, 1h30m, 30d, 4w.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return model.Duration(d).String() }

// UnmarshalYAML parses a duration; a bad one is a problem on its line and
// decoding carries on, so that every problem is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := model.ParseDuration(n.Value)
	if err != nil {
		return typeError(n, "invalid duration %q (use a number and a unit: ms, s, m, h, d, w)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in the same form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Regexp is a regular expression compiled when the config is loaded.
type Regexp struct {
	*regexp.Regexp
}

// UnmarshalYAML compiles the expression; a bad one is a problem on its line.
func (re *Regexp) UnmarshalYAML(n *yaml.Node) error {
	c, err := regexp.Compile(n.Value)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return typeError(n, "invalid regular expression %q: %s", n.Value, msg)
	}
	re.Regexp = c
	return nil
}

// MarshalYAML writes the expression's source.
func (re Regexp) MarshalYAML() (any, error) {
	if re.Regexp == nil {
		return "", nil
	}
	return re.String(), nil
}

// Redacted is what a secret prints as.
const Redacted = "<secret>"

// Secret is a string that never prints: not in logs, not in /config, not in
// errors. Use Reveal where the value is really needed.
type Secret string

func (s Secret) String() string { return s.mask() }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// MarshalYAML prints <secret> for a set secret.
func (s Secret) MarshalYAML() (any, error) { return s.mask(), nil }

// MarshalJSON prints <secret> for a set secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.mask())), nil }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.mask()) }

// Format keeps the secret out of fmt output, whatever the verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.mask())) }

func (s Secret) mask() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// SecretFrom returns inline if set, else the trimmed content of file. It is
// the one place the *_file fields are read.
func SecretFrom(inline Secret, file string) (Secret, error) {
	if file == "" {
		return inline, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading secret file: %w", err)
	}
	return Secret(strings.TrimRight(string(b), "\r\n")), nil
}

// CheckFile records a problem when path is set but cannot be read.
func CheckFile(r Report, field, path string) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		r.Errorf(field, "%v", err)
	}
}
