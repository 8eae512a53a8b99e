package expo

import (
	"sort"
	"unicode/utf8"

	"github.com/prometheus/common/model"
)

func validMetricName(name string) bool { return model.LegacyValidation.IsValidMetricName(name) }

// A sample's series is left out when a registry would refuse it: a label
// of its own with an invalid name or value (validOwnLabels), or with a
// name the source's labels have already (labelsClash).

// validOwnLabels is false when a label has an invalid name or value.
func validOwnLabels(own []Label) bool {
	for _, l := range own {
		if !model.LegacyValidation.IsValidLabelName(l.Name) || !utf8.ValidString(l.Value) {
			return false
		}
	}
	return true
}

// labelsClash is true when a label of own has a name of ls.
func labelsClash(ls *Labels, own []Label) bool {
	for _, l := range own {
		if i := sort.SearchStrings(ls.names, l.Name); i < len(ls.names) && ls.names[i] == l.Name {
			return true
		}
	}
	return false
}

// LabelNames are the label names of families, sorted, each once.
func LabelNames(families ...[]*Family) []string {
	seen := map[string]bool{}
	var out []string
	for _, fs := range families {
		for _, f := range fs {
			for _, l := range f.Labels {
				if !seen[l] {
					seen[l] = true
					out = append(out, l)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Reserved reports whether name is one of ProbeFamilies' names, or a series
// name one of them writes (a histogram's _bucket, _sum and _count): the
// names a plugin's metrics may not take.
func Reserved(name string) bool {
	for _, f := range ProbeFamilies {
		if name == f.Name {
			return true
		}
		if f.Type == Histogram {
			for _, s := range [...]string{"_bucket", "_sum", "_count"} {
				if name == f.Name+s {
					return true
				}
			}
		}
	}
	return false
}
