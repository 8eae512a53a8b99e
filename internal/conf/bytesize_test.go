package conf

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"0": 0, "512": 512, "3b": 3, "3B": 3,
		"64KB": 64e3, "64kb": 64e3, "64 KiB": 64 << 10, "64kib": 64 << 10,
		"10MB": 10e6, "10MiB": 10 << 20, "1GB": 1e9, "1GiB": 1 << 30, "2TiB": 2 << 40,
		"1.5MB": 1.5e6, "0.5KiB": 512, "-1": -1, " 7 MB ": 7e6,
	} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "B", "1XB", "one", "1e6", "0x10", "NaN", "Inf",
		"1.0001KB", "99999999999999999999", "9999999999TiB", "1_000"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, accepted", in, got)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	for in, want := range map[ByteSize]string{
		0: "0B", 1: "1B", 1500: "1500B", 64e3: "64KB", 1024: "1KiB", 10e6: "10MB",
		10 << 20: "10MiB", 1 << 30: "1GiB", 3e12: "3TB", -1: "-1B",
	} {
		if got := in.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(in), got, want)
		}
		back, err := ParseByteSize(in.String())
		if err != nil || back != in {
			t.Errorf("%q reads back as %d, %v", in.String(), back, err)
		}
	}
}

func TestByteSizeYAML(t *testing.T) {
	var v struct {
		Limit ByteSize `yaml:"limit"`
	}
	if err := yaml.Unmarshal([]byte("limit: 2MiB\n"), &v); err != nil || v.Limit != 2<<20 {
		t.Fatalf("decoded %d, %v", v.Limit, err)
	}
	out, err := yaml.Marshal(v)
	if err != nil || string(out) != "limit: 2MiB\n" {
		t.Errorf("encoded %q, %v", out, err)
	}
	err = yaml.Unmarshal([]byte("\nlimit: 2XB\n"), &v)
	if err == nil || err.Error() != `yaml: unmarshal errors:
  line 2: invalid size "2XB" (use bytes, or a number and a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024))` {
		t.Errorf("error %v", err)
	}
}
