package tcp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"

	"github.com/sloagent/sloagent/internal/clip"
	"github.com/sloagent/sloagent/probes"
)

// maxLine bounds a line read while waiting for expect, its newline
// included: a target streaming bytes without a newline fails the run
// instead of growing it. It is blackbox_exporter's bound (bufio.Scanner's
// 64 KiB buffer), so a line one of them reads the other reads too.
const maxLine = 64 << 10

// readBuffer is the reader's buffer: a greeting or a status line fits, and
// a longer line is read in parts. bufio's 4 KiB default was 60% of the
// bytes a run allocated (6.9 KB a run in BenchmarkProbe, 3.8 KB with 1 KiB).
const readBuffer = 1 << 10

var errLineTooLong = errors.New("the server sent a line longer than 64 KiB")

// dialogue runs the query_response entries on conn.
func (r *run) dialogue(conn net.Conn) probes.Result {
	if len(r.p.queries) == 0 {
		return probes.Result{Success: true, Message: "connected"}
	}
	r.Enter(phaseQuery)
	br := bufio.NewReaderSize(conn, readBuffer)
	for i := range r.p.queries {
		q := &r.p.queries[i]
		where := "query_response[" + strconv.Itoa(i) + "]"
		send := q.Send
		if q.Expect.Regexp != nil {
			line, match, res, ok := r.expect(br, q, where)
			if !ok {
				return res
			}
			send = string(q.Expect.Expand(nil, []byte(send), line, match))
			if len(q.Labels) > 0 {
				r.expectInfo = r.expectInfo[:0:0]
				for _, l := range q.Labels {
					v := q.Expect.Expand(nil, []byte(l.Value), line, match)
					r.expectInfo = append(r.expectInfo, probes.Label{Name: l.Name, Value: string(v)})
				}
			}
		}
		if q.ExpectBytes != "" {
			want := []byte(q.ExpectBytes)
			got := make([]byte, len(want))
			n, err := io.ReadFull(br, got)
			r.Logf("read bytes", "entry", i, "bytes", quote(string(got[:n])))
			switch {
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				r.failedBytes = true
				return probes.Fail(probes.ReasonBodyMismatch, where+": connection closed after "+strconv.Itoa(n)+
					" of the "+strconv.Itoa(len(want))+" bytes of expect_bytes; got "+quote(string(got[:n])))
			case err != nil:
				return r.fail(err, "waiting for "+strconv.Itoa(len(want))+" bytes of expect_bytes ("+where+")")
			case !bytes.Equal(got, want):
				r.failedBytes = true
				return probes.Fail(probes.ReasonBodyMismatch, where+": expect_bytes "+quote(q.ExpectBytes)+" did not match; got "+quote(string(got)))
			}
		}
		if send != "" {
			r.Logf("send", "entry", i, "line", send)
			if _, err := io.WriteString(conn, send+"\n"); err != nil {
				return r.fail(err, "sending ("+where+")")
			}
		}
		if q.StartTLS {
			tc, res, ok := r.handshake(conn)
			if !ok {
				return res
			}
			conn = tc
			br = bufio.NewReaderSize(conn, readBuffer)
			r.Enter(phaseQuery)
		}
	}
	return probes.Result{Success: true, Message: "dialogue of " + strconv.Itoa(len(r.p.queries)) + " entries done"}
}

// expect reads lines until one matches q.Expect, returning it and the match.
func (r *run) expect(br *bufio.Reader, q *QueryResponse, where string) ([]byte, []int, probes.Result, bool) {
	var last []byte
	for {
		line, err := readLine(br)
		if err != nil {
			switch {
			case errors.Is(err, io.EOF):
				r.failedRegex = true
				msg := where + ": connection closed before a line matched expect " + quote(q.Expect.String())
				if last != nil {
					msg += "; last line: " + quote(clip.Head(string(last), maxQuotedLine))
				}
				return nil, nil, probes.Fail(probes.ReasonBodyMismatch, msg), false
			case errors.Is(err, errLineTooLong):
				return nil, nil, probes.Fail(probes.ReasonProtocol, where+": "+err.Error()), false
			}
			return nil, nil, r.fail(err, "waiting for a line matching "+quote(q.Expect.String())+" ("+where+")"), false
		}
		r.Logf("read line", "line", string(line))
		if m := q.Expect.FindSubmatchIndex(line); m != nil {
			r.Logf("matched", "expect", q.Expect.String(), "line", string(line))
			return line, m, probes.Result{}, true
		}
		last = line
	}
}

// readLine reads one line without its "\n" or "\r\n", as bufio.Scanner's
// lines, blackbox_exporter's unit, are; the last line may lack a newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if n := len(line); n > maxLine || n == maxLine && line[n-1] != '\n' {
			return nil, errLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		break
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// maxQuotedLine is how much of the last line a failure message quotes.
const maxQuotedLine = 200
