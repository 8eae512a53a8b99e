// Package clip cuts text short before a message, a log line or a label
// quotes it: a target, a plugin or a check chooses that text, and it must
// not make what the agent keeps (probe state, incidents, the status page,
// logs, alerts) megabytes long. A cut falls between characters, so valid
// UTF-8 stays valid, and says how many bytes it left out.
package clip

import (
	"strconv"
	"unicode/utf8"
)

// Head is s, or at most its first n bytes followed by " [N bytes cut]".
func Head(s string, n int) string {
	if len(s) <= max(n, 0) {
		return s
	}
	k := back(s, max(n, 0))
	return join(s[:k], len(s)-k, "")
}

// Ends is s, or at most n bytes of it, three quarters from its start and
// one from its end (where an error often says what was wrong), with
// " [N bytes cut] " between them.
func Ends(s string, n int) string {
	if len(s) <= max(n, 0) {
		return s
	}
	n = max(n, 0)
	head := back(s, n*3/4)
	tail := forward(s, len(s)-(n-n*3/4))
	return join(s[:head], tail-head, s[tail:])
}

// back moves i back to the start of the character it falls in. It looks
// no further than a character can be long: in invalid UTF-8 it cuts where
// it was asked to.
func back(s string, i int) int {
	for j := i; j > 0 && j > i-utf8.UTFMax; j-- {
		if utf8.RuneStart(s[j]) {
			return j
		}
	}
	if i < utf8.UTFMax {
		return 0
	}
	return i
}

// forward moves i on to the start of the next character, as back does.
func forward(s string, i int) int {
	for j := i; j < len(s) && j < i+utf8.UTFMax; j++ {
		if utf8.RuneStart(s[j]) {
			return j
		}
	}
	if len(s)-i < utf8.UTFMax {
		return len(s)
	}
	return i
}

// join puts head, the marker for cut bytes and tail together, with a
// space between each part that is there.
func join(head string, cut int, tail string) string {
	m := "[" + strconv.Itoa(cut) + " bytes cut]"
	if cut == 1 {
		m = "[1 byte cut]"
	}
	if head != "" {
		m = head + " " + m
	}
	if tail != "" {
		m += " " + tail
	}
	return m
}
