package netprobe

import (
	"context"
	"net"
	"testing"
)

// An address target needs no lookup, but a family without fallback still
// holds for it, as blackbox_exporter has it.
func TestLookupAddress(t *testing.T) {
	for _, tc := range []struct {
		first, host string
		fallback    bool
		proto       int
		err         string
	}{
		{"ip4", "127.0.0.1", false, 4, ""},
		{"ip6", "::1", false, 6, ""},
		{"ip6", "127.0.0.1", true, 4, ""},
		{"ip4", "::1", true, 6, ""},
		{"ip6", "127.0.0.1", false, 0, "lookup 127.0.0.1: an IPv4 address (ip6 only)"},
		{"ip4", "::1", false, 0, "lookup ::1: an IPv6 address (ip4 only)"},
		{"", "::ffff:127.0.0.1", false, 4, ""},
	} {
		res, err := Lookup(context.Background(), net.DefaultResolver, tc.first, tc.fallback, tc.host)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s %s fallback %v: error %v, want %q", tc.first, tc.host, tc.fallback, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s %s fallback %v: %v", tc.first, tc.host, tc.fallback, err)
		case !res.Literal || res.Proto() != tc.proto:
			t.Errorf("%s %s fallback %v: literal %v, proto %d, want %d", tc.first, tc.host, tc.fallback, res.Literal, res.Proto(), tc.proto)
		}
	}
}
