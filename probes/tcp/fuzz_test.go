package tcp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadLine reads whatever a server sends as dialogue lines: every line
// is bounded, has no line end, and together they are what was sent.
func FuzzReadLine(f *testing.F) {
	for _, s := range []string{
		"220 mail.test ESMTP ready v2.5\r\n250-mail.test hello\r\n250 OK\r\n",
		"+OK ready\r\n", "no newline at the end", "\n\n\r\n\r", "a\rb\r\r\n",
		string(bytes.Repeat([]byte("x"), 3*readBuffer)) + "\n",
		"\x00\xff\xfe\r\n\x16\x03\x01",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), readBuffer)
		var got [][]byte
		for {
			line, err := readLine(br)
			if errors.Is(err, errLineTooLong) {
				return
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("readLine: %v", err)
			}
			if len(line) > maxLine+readBuffer || bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line of %d bytes: %q", len(line), line)
			}
			got = append(got, line)
		}
		// The lines are the input split at "\n" and trimmed of one "\r";
		// the last line needs no "\n".
		want := bytes.Split(in, []byte("\n"))
		if len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1]
		}
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d", len(got), len(want))
		}
		for i, w := range want {
			if i < len(want)-1 || bytes.HasSuffix(in, []byte("\n")) {
				w = bytes.TrimSuffix(w, []byte("\r"))
			}
			if !bytes.Equal(got[i], w) {
				t.Fatalf("line %d is %q, want %q", i, got[i], w)
			}
		}
	})
}
