// Package discovery finds probe targets in the formats Prometheus' service
// discovery reads: target group lists in files (file_sd) and from an HTTP
// endpoint (http_sd), and DNS SRV, A and AAAA records (dns_sd). A Manager
// refreshes each source on its own, keeps its last good targets when it
// breaks, and says when what a source finds changes; what the targets
// become (probes from a template) is the config's business.
package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Group is a target group as Prometheus has it: addresses that share
// labels. Labels whose names start with "__" are meta labels
// (__meta_filepath, __meta_dns_name, ...), which describe where a target
// was found.
type Group struct {
	Targets []string          `yaml:"targets" json:"targets"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
}

// Target is one address of a group, with the group's labels and the meta
// labels of its source.
type Target struct {
	Address string
	Labels  map[string]string
}

// Source finds targets. Refresh returns all of them now, or an error
// that keeps the ones found before.
type Source interface {
	Refresh(ctx context.Context) ([]Target, error)
}

// Watcher is a source that learns of changes before its refresh
// interval ends (a file that is written): Watch calls wake on each, until
// ctx is done.
type Watcher interface {
	Watch(ctx context.Context, wake func()) error
}

// parseGroups reads a target group list, JSON or YAML (JSON when it
// starts with '['), refusing keys Prometheus' format does not have, and
// anything after the list (a second list, a second document): a file
// written twice over must not lose its second half silently. Errors say
// where in data they are.
func parseGroups(data []byte) ([]Group, error) {
	var gs []Group
	trimmed := bytes.TrimLeftFunc(data, unicode.IsSpace)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		lead := int64(len(data) - len(trimmed))
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.DisallowUnknownFields()
		if err := d.Decode(&gs); err != nil {
			return nil, fmt.Errorf("not a JSON list of target groups: %s: %w", position(data, lead+jsonOffset(err, int64(len(trimmed)))), err)
		}
		end := d.InputOffset()
		if _, err := d.Token(); !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("not a JSON list of target groups: the list ends at %s, but more follows", position(data, lead+end))
		}
	} else {
		d := yaml.NewDecoder(bytes.NewReader(data))
		d.KnownFields(true)
		if err := d.Decode(&gs); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("not a YAML list of target groups: %w", err)
		}
		var more yaml.Node
		if err := d.Decode(&more); err == nil {
			return nil, fmt.Errorf("not a YAML list of target groups: a second document at line %d (a file holds one list)", more.Line)
		} else if !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("not a YAML list of target groups: %w", err)
		}
	}
	for i, g := range gs {
		for j, t := range g.Targets {
			if strings.TrimSpace(t) == "" {
				return nil, fmt.Errorf("group %d: target %d is empty", i, j)
			}
		}
	}
	return gs, nil
}

// jsonOffset is where in the input encoding/json found err: the end of
// the input when it ended too soon.
func jsonOffset(err error, size int64) int64 {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se.Offset - 1 // past the character it could not take
	case errors.As(err, &te):
		return te.Offset
	}
	return size
}

// position names a byte offset of data as a line and column, 1-based.
func position(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - int64(bytes.LastIndexByte(before, '\n'))
	return fmt.Sprintf("line %d, column %d", line, col)
}

// flatten turns groups into targets, each with its group's labels and
// meta; a target listed twice keeps its first group, so that the probe it
// becomes has one set of labels.
func flatten(gs []Group, meta map[string]string) []Target {
	var out []Target
	seen := map[string]bool{}
	for _, g := range gs {
		for _, addr := range g.Targets {
			addr = strings.TrimSpace(addr)
			if seen[addr] {
				continue
			}
			seen[addr] = true
			ls := make(map[string]string, len(g.Labels)+len(meta))
			for k, v := range meta {
				ls[k] = v
			}
			for k, v := range g.Labels {
				ls[k] = v
			}
			out = append(out, Target{Address: addr, Labels: ls})
		}
	}
	return out
}

// equal reports whether two target lists are the same, in any order.
func equal(a, b []Target) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(ts []Target) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			var b strings.Builder
			b.WriteString(t.Address)
			for _, k := range slices.Sorted(maps.Keys(t.Labels)) {
				fmt.Fprintf(&b, "\x00%s=%s", k, t.Labels[k])
			}
			out[i] = b.String()
		}
		sort.Strings(out)
		return out
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}
