package clip

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHead(t *testing.T) {
	for _, tc := range []struct {
		name, s string
		n       int
		want    string
	}{
		{"empty", "", 10, ""},
		{"shorter", "abc", 10, "abc"},
		{"exactly n", "abcde", 5, "abcde"},
		{"ascii", "abcdefgh", 5, "abcde [3 bytes cut]"},
		{"2-byte character at the cut", "aaéb", 3, "aa [3 bytes cut]"},
		{"2-byte character ends at the cut", "aaéb", 4, "aaé [1 byte cut]"},
		{"3-byte character at the cut", "a€€", 5, "a€ [3 bytes cut]"},
		{"3-byte character at the cut, last byte", "a€€", 6, "a€ [3 bytes cut]"},
		{"4-byte character at the cut", "a😀b", 4, "a [5 bytes cut]"},
		{"n smaller than a character", "😀😀", 3, "[8 bytes cut]"},
		{"n zero", "abc", 0, "[3 bytes cut]"},
		{"n negative", "abc", -1, "[3 bytes cut]"},
		{"invalid UTF-8 before the cut", "a\xffbcdef", 3, "a\xffb [4 bytes cut]"},
		{"continuation bytes only", strings.Repeat("\x80", 10), 6, strings.Repeat("\x80", 6) + " [4 bytes cut]"},
		{"continuation bytes at the start", "\x80\x80\x80x", 2, "[4 bytes cut]"},
		{"lone start byte at the cut", "ab\xe2cd", 2, "ab [3 bytes cut]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Head(tc.s, tc.n); got != tc.want {
				t.Errorf("Head(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
		})
	}
}

func TestEnds(t *testing.T) {
	for _, tc := range []struct {
		name, s string
		n       int
		want    string
	}{
		{"empty", "", 8, ""},
		{"exactly n", "abcdefgh", 8, "abcdefgh"},
		{"ascii", "abcdefghijkl", 8, "abcdef [4 bytes cut] kl"},
		{"2-byte characters at both cuts", "aaaaaééé", 8, "aaaaa [4 bytes cut] é"},
		{"3-byte characters at both cuts", "€€€€€€", 8, "€€ [12 bytes cut]"},
		{"4-byte characters at both cuts", "😀😀😀😀", 8, "😀 [12 bytes cut]"},
		{"n smaller than a character", "😀😀", 3, "[8 bytes cut]"},
		{"n zero", "abc", 0, "[3 bytes cut]"},
		{"invalid UTF-8", strings.Repeat("\x80", 12), 8, strings.Repeat("\x80", 6) + " [6 bytes cut]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Ends(tc.s, tc.n); got != tc.want {
				t.Errorf("Ends(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
		})
	}
}

// A long text keeps its bound, whatever its characters.
func TestBounded(t *testing.T) {
	for _, r := range []string{"x", "é", "€", "😀", "\xff", "\x80"} {
		s := strings.Repeat(r, 100_000)
		for _, n := range []int{0, 1, 5, 200, 512, 4 << 10} {
			for name, f := range map[string]func(string, int) string{"Head": Head, "Ends": Ends} {
				got := f(s, n)
				if len(got) > n+marker(len(s)) {
					t.Errorf("%s(%d × %q, %d) is %d bytes long", name, len(s), r, n, len(got))
				}
				if utf8.ValidString(s) && !utf8.ValidString(got) {
					t.Errorf("%s(%d × %q, %d) is not valid UTF-8: %q", name, len(s), r, n, got)
				}
				if !strings.Contains(got, " bytes cut]") {
					t.Errorf("%s(%d × %q, %d) = %q does not say it was cut", name, len(s), r, n, got)
				}
			}
		}
	}
}

// marker is the longest marker a cut of a text of size bytes adds.
func marker(size int) int { return len("  [ bytes cut] ") + len(strconv.Itoa(size)) }

func FuzzClip(f *testing.F) {
	for _, s := range []string{"", "abc", "aaéb", "a€€", "a😀b", "😀😀", "a\xffbcdef", "\x80\x80\x80\x80\x80", "ab\xe2cd", "\xf0\x9f\x98"} {
		f.Add(s, 3)
	}
	f.Add(strings.Repeat("é", 300), 512)
	f.Fuzz(func(t *testing.T, s string, n int) {
		for name, f := range map[string]func(string, int) string{"Head": Head, "Ends": Ends} {
			got := f(s, n)
			if len(s) <= n {
				if got != s {
					t.Fatalf("%s(%q, %d) = %q, want it whole", name, s, n, got)
				}
				continue
			}
			if len(got) > max(n, 0)+marker(len(s)) {
				t.Fatalf("%s(%q, %d) = %q is %d bytes long", name, s, n, got, len(got))
			}
			if utf8.ValidString(s) && !utf8.ValidString(got) {
				t.Fatalf("%s(%q, %d) = %q is not valid UTF-8", name, s, n, got)
			}
		}
	})
}
