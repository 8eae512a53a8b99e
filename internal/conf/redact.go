package conf

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// SensitiveName reports whether a name (a config key, a header, a query
// parameter) looks like it holds a credential. It errs on the side of
// hiding: a hidden value costs a look at the file, a shown one may leak a
// token into a screenshot.
func SensitiveName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "sig", "pw", "pwd", "pass", "otp", "pin":
		return true
	}
	for _, w := range [...]string{"token", "secret", "key", "auth", "passw", "credential", "session",
		"signature", "cookie", "bearer", "private", "jwt"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactURL returns s with the password of a URL's userinfo (or all of a
// userinfo without one, which is then a token), and the values of query
// parameters with sensitive names, replaced by <secret>. Anything that is
// not a URL with either comes back as it is.
func RedactURL(s string) string {
	scheme := strings.Index(s, "://")
	if scheme <= 0 {
		return s
	}
	if _, err := url.Parse(s); err != nil {
		return s
	}
	rest := s[scheme+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	var b strings.Builder
	b.WriteString(s[:scheme+3])
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		if user, _, ok := strings.Cut(rest[:at], ":"); ok {
			b.WriteString(user + ":" + Redacted)
		} else {
			b.WriteString(Redacted)
		}
		b.WriteString(rest[at:end])
	} else {
		b.WriteString(rest[:end])
	}
	rest = rest[end:]
	path, query, hasQuery := strings.Cut(rest, "?")
	b.WriteString(path)
	if !hasQuery {
		return b.String()
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	b.WriteByte('?')
	for i, kv := range strings.Split(query, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, ok := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(k)
		if ok && v != "" && (err != nil || SensitiveName(name)) {
			kv = k + "=" + Redacted
		}
		b.WriteString(kv)
	}
	if hasFrag {
		b.WriteString("#" + frag)
	}
	return b.String()
}

// urlSecrets returns the parts of s that RedactURL hides.
func urlSecrets(s string) []string {
	if !strings.Contains(s, "://") {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		} else {
			out = append(out, u.User.Username())
		}
	}
	for k, vs := range u.Query() {
		if SensitiveName(k) {
			for _, v := range vs {
				out = append(out, v, url.QueryEscape(v))
			}
		}
	}
	return out
}

// URL is a URL that never prints its password or query tokens (see
// RedactURL). Use Reveal where the value is really needed.
type URL string

func (u URL) String() string { return RedactURL(string(u)) }

// Reveal returns the URL as configured.
func (u URL) Reveal() string { return string(u) }

// MarshalYAML prints the URL redacted.
func (u URL) MarshalYAML() (any, error) { return u.String(), nil }

// MarshalJSON prints the URL redacted.
func (u URL) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(u.String())), nil }

// LogValue keeps the URL's secrets out of slog output.
func (u URL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// Format keeps the URL's secrets out of fmt output.
func (u URL) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(u.String())))
		return
	}
	_, _ = f.Write([]byte(u.String()))
}

// minSecret is the length of the shortest value taken out of free text
// (logs, debug output, the status page): a shorter one ("80", "eu") would
// garble every line it occurs in, and hides little. /config hides values
// by their field, whatever their length.
const minSecret = 4

// Redactor hides a config's secrets wherever the agent prints: by where a
// value came from (an environment variable, a *_file, a URL's userinfo), by
// its type (Secret), and by its name (a key, header or query parameter
// that looks like a credential). Its methods may be called on nil, which
// hides what names and URLs show.
type Redactor struct {
	fromEnv map[string][]string // fields with ${VAR}s, and the secret values put in
	values  []string            // every secret value, longest first
	rep     *strings.Replacer   // of the values of at least wholeWord bytes
	short   []string            // the shorter ones, hidden where they stand as a word
}

// envUse is a value that a ${VAR} put into a field.
type envUse struct {
	name, value string
}

var secretType = reflect.TypeFor[Secret]()

// Public names variables that hold no secret (the agent's own listen
// address), whose values Redactor and Err leave alone.
func (d *Document) Public(names ...string) { d.public = append(d.public, names...) }

// Redactor returns the redactor of the document's secrets. It reads the
// files of fields named like password_file or bearer_token_file, so a
// secret read from one is hidden too (as it was when the config was
// loaded).
func (d *Document) Redactor() *Redactor {
	r := &Redactor{fromEnv: map[string][]string{}}
	for path, uses := range d.fromEnv {
		for _, u := range uses {
			if !slices.Contains(d.public, u.name) {
				r.fromEnv[path] = append(r.fromEnv[path], u.value)
			}
		}
	}
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.TrimRight(v, "\r\n")
		if !seen[v] && freeTextSecret(v) {
			seen[v] = true
			r.values = append(r.values, v)
		}
	}
	for _, vs := range r.fromEnv {
		for _, v := range vs {
			add(v)
		}
	}
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, key)
			}
		case yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				walk(n.Content[k+1], n.Content[k].Value)
			}
		case yaml.ScalarNode:
			for _, s := range urlSecrets(n.Value) {
				add(s)
			}
			switch {
			case !isString(n):
			case d.types[n] == secretType:
				add(n.Value)
			case strings.HasSuffix(key, "_file"):
				if SensitiveName(strings.TrimSuffix(key, "_file")) {
					add(readSmall(n.Value))
				}
			case SensitiveName(key):
				add(n.Value)
			}
		}
	}
	if d.Root != nil {
		walk(d.Root, "")
	}
	r.index()
	return r
}

// index orders the secret values longest first (so a secret inside
// another is not half replaced) and splits them into the replacer of the
// long ones and the short ones hidden as words.
func (r *Redactor) index() {
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	pairs := make([]string, 0, 2*len(r.values))
	r.short = nil
	for _, v := range r.values {
		if len(v) < wholeWord {
			r.short = append(r.short, v)
			continue
		}
		pairs = append(pairs, v, Redacted)
	}
	r.rep = strings.NewReplacer(pairs...)
}

// MergeRedactors returns one redactor for a config made of several files:
// rs[i] is file i's, and rename[i] turns a field of file i into the field
// of the merged config (probes[0] of the second file may be probes[3]).
func MergeRedactors(rs []*Redactor, rename []func(string) string) *Redactor {
	out := &Redactor{fromEnv: map[string][]string{}}
	seen := map[string]bool{}
	for i, r := range rs {
		if r == nil {
			continue
		}
		for path, vs := range r.fromEnv {
			p := rename[i](path)
			out.fromEnv[p] = append(out.fromEnv[p], vs...)
		}
		for _, v := range r.values {
			if !seen[v] {
				seen[v] = true
				out.values = append(out.values, v)
			}
		}
	}
	out.index()
	return out
}

// wholeWord is the length under which a secret is taken out of free text
// only where it stands as a word of its own: a plugin's env value "exit"
// would otherwise turn "exited" into "<secret>ed" in every message, while
// the word "exited" tells nothing of the secret.
const wholeWord = 8

// hideWord replaces the occurrences of v in s that are not part of a longer
// word (letters and digits) with Redacted.
func hideWord(s, v string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, v)
		if i < 0 {
			break
		}
		end := i + len(v)
		before, _ := utf8.DecodeLastRuneInString(rest[:i])
		after, _ := utf8.DecodeRuneInString(rest[end:])
		if i > 0 && wordRune(before) || end < len(rest) && wordRune(after) {
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		b.WriteString(rest[:i])
		b.WriteString(Redacted)
		rest = rest[end:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(rest)
	return b.String()
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// freeTextSecret reports whether v is taken out of free text: not too short,
// and not a boolean or a small number (a port), which occur everywhere.
func freeTextSecret(v string) bool {
	if len(v) < minSecret || v == Redacted {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "null":
		return false
	}
	if _, err := strconv.Atoi(v); err == nil && len(v) < 6 {
		return false
	}
	return true
}

func isString(n *yaml.Node) bool { return n.ShortTag() == "!!str" }

// readSmall returns a secret file's content, or "" if it is not a small
// file that can be read.
func readSmall(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 4097)
	n, _ := f.Read(b)
	if n == 0 || n > 4096 {
		return ""
	}
	return string(b[:n])
}

// String takes the secrets out of free text.
func (r *Redactor) String(s string) string {
	if r == nil || r.rep == nil || len(r.values) == 0 {
		return s
	}
	s = r.rep.Replace(s)
	for _, v := range r.short {
		if strings.Contains(s, v) {
			s = hideWord(s, v)
		}
	}
	return s
}

// Node takes the secrets out of n, a config marshalled to a node tree (as
// /config shows it): values that came from the environment, by field;
// values under sensitive names; URLs' passwords and tokens; and any known
// secret wherever it appears.
func (r *Redactor) Node(n *yaml.Node) { r.node(n, "") }

func (r *Redactor) node(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			r.node(c, path)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			r.node(c, path+"["+strconv.Itoa(i)+"]")
		}
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			key, v := n.Content[k].Value, n.Content[k+1]
			if v.Kind == yaml.ScalarNode && v.Value != "" && isString(v) && SensitiveName(key) && !strings.HasSuffix(key, "_file") {
				setScalar(v, Redacted)
				continue
			}
			r.node(v, join(path, key))
		}
	case yaml.ScalarNode:
		v := n.Value
		if r != nil {
			if vs, ok := r.fromEnv[path]; ok {
				found := false
				for _, e := range vs {
					if strings.Contains(v, e) {
						v, found = strings.ReplaceAll(v, e, Redacted), true
					}
				}
				if !found {
					v = Redacted
				}
			}
		}
		v = r.String(RedactURL(v))
		if v != n.Value {
			setScalar(n, v)
		}
	}
}

func setScalar(n *yaml.Node, v string) {
	n.Value, n.Tag, n.Style = v, "!!str", 0
}

// Handler wraps h so that every message and attribute it writes has the
// secrets of current() taken out; current is asked at each record, so that
// a reloaded config's secrets are hidden from then on, also in the
// attributes of loggers made before the reload (logger.With).
func Handler(h slog.Handler, current func() *Redactor) slog.Handler {
	return &redactHandler{base: h, current: current}
}

// redactHandler keeps the With and WithGroup calls made on it, and applies
// them to its base with the attributes redacted by the redactor in force,
// again whenever that redactor changes.
type redactHandler struct {
	base    slog.Handler
	ops     []handlerOp
	current func() *Redactor
	built   atomic.Pointer[builtHandler]
}

// handlerOp is a WithAttrs (attrs) or a WithGroup (group) call.
type handlerOp struct {
	attrs []slog.Attr
	group string
}

type builtHandler struct {
	r *Redactor
	h slog.Handler
}

// handler returns the base with the ops applied for r.
func (h *redactHandler) handler(r *Redactor) slog.Handler {
	if b := h.built.Load(); b != nil && b.r == r {
		return b.h
	}
	out := h.base
	for _, op := range h.ops {
		if op.attrs == nil {
			out = out.WithGroup(op.group)
			continue
		}
		as := make([]slog.Attr, len(op.attrs))
		for i, a := range op.attrs {
			as[i] = r.attr(a)
		}
		out = out.WithAttrs(as)
	}
	h.built.Store(&builtHandler{r: r, h: out})
	return out
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.current()
	if r == nil || len(r.values) == 0 {
		return h.handler(r).Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return h.handler(r).Handle(ctx, out)
}

func (h *redactHandler) with(op handlerOp) slog.Handler {
	return &redactHandler{base: h.base, ops: append(slices.Clip(h.ops), op), current: h.current}
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return h.with(handlerOp{attrs: slices.Clone(as)})
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(handlerOp{group: name})
}

// attr takes the secrets out of a log attribute, whatever its kind: an
// error's message can quote a URL or a command line.
func (r *Redactor) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(r.String(v.String()))
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if red := r.String(s); red != s {
			a.Value = slog.StringValue(red)
		} else {
			a.Value = v
		}
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = r.attr(ga)
		}
		a.Value = slog.GroupValue(out...)
	default:
		a.Value = v
	}
	return a
}
