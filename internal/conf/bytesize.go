package conf

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ByteSize is a number of bytes, written as a number with an optional unit:
// B; KB, MB, GB, TB, powers of 1000; KiB, MiB, GiB, TiB, powers of 1024.
// That is how Prometheus' own tools name sizes (MB = 10^6, MiB = 2^20).
// Units are read without regard to case, a space may stand between number
// and unit, and a fraction is allowed as long as it comes to whole bytes
// (1.5MB). Whether a negative size means anything is up to the field.
type ByteSize int64

type sizeUnit struct {
	name string
	n    int64
}

// sizeUnits, longest names first within each base, so "MiB" is not read
// as a number followed by "iB".
var sizeUnits = []sizeUnit{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"B", 1},
}

// ParseByteSize parses a size such as 512, 10MB or 1GiB.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.name) && strings.EqualFold(t[len(t)-len(u.name):], u.name) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.name)]), u.n
			break
		}
	}
	bad := fmt.Errorf("invalid size %q (use bytes, or a number and a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024))", s)
	if t == "" || strings.ContainsAny(t, "eEnNiIxX_") { // no exponents, NaN, Inf, hex
		return 0, bad
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n > math.MaxInt64/mult || n < math.MinInt64/mult {
			return 0, bad
		}
		return ByteSize(n * mult), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, bad
	}
	v := f * float64(mult)
	if v != math.Trunc(v) || math.Abs(v) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	return ByteSize(v), nil
}

// UnmarshalYAML parses a size; a bad one is a problem on its line.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return typeError(n, "%v", err)
	}
	*b = v
	return nil
}

// MarshalYAML writes the size as String does, so it reads back the same.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// String writes the size with the largest unit that divides it, always
// with a unit: 10MiB, 64KB, 1500B.
func (b ByteSize) String() string {
	best := sizeUnit{"B", 1}
	if b != 0 {
		for _, u := range sizeUnits {
			if int64(b)%u.n == 0 && u.n > best.n {
				best = u
			}
		}
	}
	return strconv.FormatInt(int64(b)/best.n, 10) + best.name
}
