package agent

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// printable is s safe to show on a terminal: control characters other
// than newline and tab are written as \x1b or \u009b, and bytes that are
// not UTF-8 as \xff. What a target answers (a status line, a check's
// output) is printed by the probe, once and review subcommands and by a run's
// POST, which curl shows as it comes; an escape sequence there could
// retitle the window, hide lines or rewrite the clipboard.
func printable(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && n == 1:
			esc = fmt.Sprintf(`\x%02x`, s[i])
		case (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f:
			esc = fmt.Sprintf(`\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			esc = fmt.Sprintf(`\u%04x`, r)
		}
		if esc != "" {
			if b.Len() == 0 {
				b.Grow(len(s) + 16)
			}
			b.WriteString(s[done:i])
			b.WriteString(esc)
			done = i + n
		}
		i += n
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}
