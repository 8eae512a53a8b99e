package browser

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A long console error of accented text is kept cut between characters:
// its start becomes the run's failure message.
func TestLongConsoleErrorCutBetweenCharacters(t *testing.T) {
	r := newRecorder(nil)
	r.addError(ConsoleMessage{Type: "error", Text: "a" + strings.Repeat("é", maxTextLen)})
	r.addFailed(FailedRequest{URL: "http://127.0.0.1/" + strings.Repeat("é", maxTextLen)})
	for _, s := range []string{r.firstError().Text, r.console[0].Text, r.failed[0].URL} {
		if !utf8.ValidString(s) || len(s) > maxTextLen+32 || !strings.HasSuffix(s, " bytes cut]") {
			t.Errorf("kept %d bytes, valid UTF-8 %v, ending %q", len(s), utf8.ValidString(s), s[max(0, len(s)-24):])
		}
	}
}

// A step's text quoted in a failure message is cut between characters.
func TestAbbreviateCutsBetweenCharacters(t *testing.T) {
	got := abbreviate("ab\n"+strings.Repeat("é", 300), 200)
	if want := "ab " + strings.Repeat("é", 98) + " [404 bytes cut]"; got != want {
		t.Errorf("abbreviate gave %q, want %q", got, want)
	}
}
