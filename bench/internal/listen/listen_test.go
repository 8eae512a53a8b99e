package listen

import (
	"strings"
	"testing"
)

func TestAnnounceParse(t *testing.T) {
	ln, err := TCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pc, err := UDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var sb strings.Builder
	Announce(&sb, ln.Addr(), pc.LocalAddr())
	got, err := Parse(strings.TrimSpace(sb.String()), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != ln.Addr().String() || got[1] != pc.LocalAddr().String() {
		t.Errorf("Parse = %v, announced %q", got, sb.String())
	}
	if _, err := Parse(strings.TrimSpace(sb.String()), 1); err == nil {
		t.Error("two addresses parsed as one")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0"} {
		if _, err := TCP(addr); err == nil {
			t.Errorf("%s was listened on", addr)
		}
	}
}
