package http

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// FuzzReadBody reads whatever a target sends as a body, in each
// compression, kept for checks or not, under body_size_limit and under
// the bound of what is kept when there is none: no more than the limit is
// counted or kept, and a failure is the limit or says what was wrong with
// the body.
func FuzzReadBody(f *testing.F) {
	const limit = 4 << 10
	var probers []*prober
	for _, c := range []string{"", "gzip", "deflate", "br"} {
		for _, src := range []string{"body_size_limit: 4KiB", "body_size_limit: 4KiB\nfail_if_body_matches_regexp: [x]",
			"body_size_limit: none\nfail_if_body_matches_regexp: [x]"} {
			if c != "" {
				src += "\ncompression: " + c
			}
			pr, err := New("http://127.0.0.1/", probetest.Section[Config](f, src))
			if err != nil {
				f.Fatal(err)
			}
			f.Cleanup(func() { pr.(probes.Closer).Close() })
			p := pr.(*prober)
			p.keptMax = limit
			probers = append(probers, p)
		}
	}

	text := []byte("hello, body\n")
	zeros := make([]byte, 64<<10)
	for _, b := range [][]byte{text, zeros} {
		var gz, fl, br bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(b)
		zw.Close()
		fw, _ := flate.NewWriter(&fl, flate.BestCompression)
		fw.Write(b)
		fw.Close()
		bw := brotli.NewWriter(&br)
		bw.Write(b)
		bw.Close()
		for _, seed := range [][]byte{b, gz.Bytes(), fl.Bytes(), br.Bytes(), gz.Bytes()[:gz.Len()/2], append(gz.Bytes(), gz.Bytes()...)} {
			for i := range probers {
				f.Add(uint8(i), seed)
			}
		}
	}

	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		p := probers[int(which)%len(probers)]
		r := p.newRun(context.Background(), nil)
		defer r.release()
		resp := &http.Response{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
		err := r.readBody(resp, p.keepsBody())
		if r.bodyLen > limit || len(r.kept()) > limit {
			t.Fatalf("counted %d and kept %d bytes, over the limit of %d", r.bodyLen, len(r.kept()), limit)
		}
		var large *tooLargeError
		switch {
		case err == nil, errors.As(err, &large):
		case errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Fatalf("a bare end of file: %v", err)
		case p.compression == "":
			t.Fatalf("an uncompressed body read from memory failed: %v", err)
		}
	})
}
