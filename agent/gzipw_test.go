package agent

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os/exec"
	"testing"
)

// The chunks compressed apart make one gzip member that Go's reader and
// gzip(1) both take whole, however the text is cut into writes.
func TestParallelGzip(t *testing.T) {
	var text bytes.Buffer
	for i := 0; text.Len() < 5*gzChunkSize+12345; i++ {
		fmt.Fprintf(&text, "probe_success{agent=\"a\",probe=\"p%07d\"} %d\n", i, i%2)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		cut  int
	}{{"empty", nil, 1}, {"short", []byte("x 1\n"), 1}, {"chunks", text.Bytes(), 65536}, {"odd writes", text.Bytes(), 777777}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			z := newParallelGzip(&out, 3)
			for p := tc.in; len(p) > 0; {
				k := min(tc.cut, len(p))
				if _, err := z.Write(p[:k]); err != nil {
					t.Fatal(err)
				}
				p = p[k:]
			}
			if err := z.Close(); err != nil {
				t.Fatal(err)
			}
			rd := bytes.NewReader(out.Bytes())
			zr, err := gzip.NewReader(rd)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.in) {
				t.Fatalf("Go's reader got %d bytes back of %d", len(got), len(tc.in))
			}
			if rd.Len() != 0 {
				t.Errorf("%d bytes after the first gzip member", rd.Len())
			}
			cmd := exec.Command("gzip", "-dc")
			cmd.Stdin = bytes.NewReader(out.Bytes())
			got, err = cmd.Output()
			if err != nil {
				t.Fatalf("gzip -dc: %v", err)
			}
			if !bytes.Equal(got, tc.in) {
				t.Fatalf("gzip -dc gave %d bytes back of %d", len(got), len(tc.in))
			}
		})
	}
}
