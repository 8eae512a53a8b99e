// Package formats converts SLOs between sloagent's slos: list and the
// formats other SLO tools use: OpenSLO v1 (import and export) and sloth's
// prometheus/v1 specs (import). What a format says that sloagent cannot
// (or the other way round) is named in a Warning, never dropped silently.
package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/slo"
)

// Warning names something of the input that the output does not carry, or
// carries differently.
type Warning struct {
	// Where is the document and field, such as `SLO checkout:
	// spec.objectives[1]`.
	Where   string
	Message string
}

func (w Warning) String() string { return w.Where + ": " + w.Message }

type warnings []Warning

func (ws *warnings) add(where, format string, args ...any) {
	*ws = append(*ws, Warning{Where: where, Message: fmt.Sprintf(format, args...)})
}

// Import reads OpenSLO v1 documents or a sloth spec (prometheus/v1, or its
// Kubernetes PrometheusServiceLevel) from data, telling them apart by their
// apiVersion or version, and returns sloagent SLOs that pass validation.
func Import(file string, data []byte) ([]slo.Config, []Warning, error) {
	// Bounded as a config file is: yaml.v3 takes some fifty times a
	// file's size in memory while it parses it.
	if len(data) > conf.MaxFileSize {
		return nil, nil, fmt.Errorf("%s: the file has more than %d bytes (%d MiB), the most an SLO file may have", file, conf.MaxFileSize, conf.MaxFileSize>>20)
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(docs) == 0 {
		return nil, nil, fmt.Errorf("%s: no documents", file)
	}
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Version    string `yaml:"version"`
	}
	_ = docs[0].Decode(&head)
	var cfgs []slo.Config
	var ws []Warning
	switch {
	case head.APIVersion == openSLOv1:
		cfgs, ws, err = importOpenSLO(docs)
	case head.Version == slothVersion || head.APIVersion == slothCRDVersion:
		cfgs, ws, err = importSloth(docs)
	case strings.HasPrefix(head.APIVersion, "openslo/"):
		return nil, nil, fmt.Errorf("%s: apiVersion %s: only %s is read", file, head.APIVersion, openSLOv1)
	default:
		return nil, nil, fmt.Errorf("%s: neither OpenSLO (apiVersion: %s) nor a sloth spec (version: %s, or apiVersion: %s)",
			file, openSLOv1, slothVersion, slothCRDVersion)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	for i := range ws {
		ws[i].Where = file + ": " + ws[i].Where
	}
	if err := Validate(cfgs); err != nil {
		return nil, ws, fmt.Errorf("%s: the imported SLOs are not valid: %w", file, err)
	}
	return cfgs, ws, nil
}

// Validate checks SLOs as the agent's config does.
func Validate(cfgs []slo.Config) error {
	r := conf.NewReport()
	slo.ValidateList(r, cfgs)
	var errs []error
	for _, p := range r.Problems() {
		errs = append(errs, errors.New(p.String()))
	}
	return errors.Join(errs...)
}

// Marshal writes SLOs as the slos: list of an agent config, with only the
// fields that are set.
func Marshal(cfgs []slo.Config) ([]byte, error) {
	out := make([]yaml.Node, 0, len(cfgs))
	for i := range cfgs {
		var n yaml.Node
		// As written, not as in effect: slo.Config's own MarshalYAML
		// fills in the defaults for the agent's /config.
		if err := n.Encode((*writtenConfig)(&cfgs[i])); err != nil {
			return nil, err
		}
		prune(&n)
		out = append(out, n)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"slos": out}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// writtenConfig is an slo.Config without its MarshalYAML.
type writtenConfig slo.Config

// prune drops empty values (zero numbers, empty strings, lists and maps)
// from a mapping node, recursively, so the output reads like a config a
// person writes.
func prune(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !prune(n.Content[i+1]) {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
		return len(kept) == 0
	case yaml.SequenceNode:
		for _, c := range n.Content {
			prune(c)
		}
		return len(n.Content) == 0
	case yaml.ScalarNode:
		return n.Tag == "!!null" || n.Value == "" || n.Value == "0" || n.Value == "0s" || n.Tag == "!!bool" && n.Value == "false"
	}
	return false
}

func splitDocuments(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &n)
	}
}
