package agent

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// parallelGzip writes one gzip member whose deflate stream is compressed
// in chunks on goroutines of their own: /metrics at 10,000 probes with
// their SLOs is some 45 MB of text, and compressing it on one core took
// longer than writing it. Each chunk but the last ends with a sync flush,
// which leaves the stream byte-aligned, so the chunks' outputs laid end to
// end are one deflate stream any gzip reader takes.
type parallelGzip struct {
	w     io.Writer
	buf   []byte        // text not yet handed to a chunk
	order chan *gzChunk // chunks in the order they are written out
	slots chan struct{} // bounds the chunks being compressed at once
	done  chan error
	crc   uint32
	size  uint32
}

type gzChunk struct {
	in   []byte
	out  bytes.Buffer
	last bool
	err  error
	done chan struct{}
}

// gzChunkSize is the text compressed at once: large enough that the sync
// flushes cost nothing, small enough to spread a scrape over the cores.
const gzChunkSize = 1 << 20

var (
	// The fastest level: at many probes compressing costs more than
	// writing, and the text compresses well anyway.
	flatePool = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}}
	chunkPool = sync.Pool{New: func() any { return &gzChunk{in: make([]byte, 0, gzChunkSize)} }}
)

func newParallelGzip(w io.Writer, workers int) *parallelGzip {
	z := &parallelGzip{w: w, order: make(chan *gzChunk, workers+1), slots: make(chan struct{}, workers), done: make(chan error, 1)}
	z.buf = chunkPool.Get().(*gzChunk).in[:0]
	go z.writeOut()
	return z
}

func (z *parallelGzip) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), gzChunkSize-len(z.buf))
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		if len(z.buf) == gzChunkSize {
			z.dispatch(false)
		}
	}
	return n, nil
}

// dispatch hands the buffered text to a goroutine to compress.
func (z *parallelGzip) dispatch(last bool) {
	c := chunkPool.Get().(*gzChunk)
	c.in, z.buf = z.buf, c.in[:0]
	c.out.Reset()
	c.last, c.err, c.done = last, nil, make(chan struct{})
	z.slots <- struct{}{}
	z.order <- c
	go func() {
		defer func() { <-z.slots }()
		fw := flatePool.Get().(*flate.Writer)
		fw.Reset(&c.out)
		_, c.err = fw.Write(c.in)
		if c.err == nil {
			if c.last {
				c.err = fw.Close()
			} else {
				c.err = fw.Flush()
			}
		}
		flatePool.Put(fw)
		close(c.done)
	}()
}

// writeOut writes the header, the chunks in order and the trailer.
func (z *parallelGzip) writeOut() {
	// ID, deflate, no flags, no time, no extra flags, unknown OS.
	_, err := z.w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	for c := range z.order {
		<-c.done
		if err == nil {
			err = c.err
		}
		if err == nil {
			_, err = z.w.Write(c.out.Bytes())
		}
		z.crc = crc32.Update(z.crc, crc32.IEEETable, c.in)
		z.size += uint32(len(c.in))
		chunkPool.Put(c)
	}
	if err == nil {
		var t [8]byte
		binary.LittleEndian.PutUint32(t[:4], z.crc)
		binary.LittleEndian.PutUint32(t[4:], z.size)
		_, err = z.w.Write(t[:])
	}
	z.done <- err
}

// Close compresses what is left, ends the stream and returns the first
// error.
func (z *parallelGzip) Close() error {
	z.dispatch(true)
	close(z.order)
	return <-z.done
}
