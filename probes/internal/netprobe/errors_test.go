package netprobe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	if s := strings.Repeat("a", MaxQuoted); Clip(s) != s {
		t.Errorf("a text of %d bytes was clipped", MaxQuoted)
	}
	s := strings.Repeat("é", 1<<20) + " the end"
	got := Clip(s)
	if len(got) > MaxQuoted+32 || !utf8.ValidString(got) {
		t.Fatalf("Clip gave %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if !strings.HasPrefix(got, "éé") || !strings.HasSuffix(got, "é the end") || !strings.Contains(got, " bytes cut] ") {
		t.Errorf("Clip gave %q", got)
	}
}
