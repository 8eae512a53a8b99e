package proctree

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// The agent and its keeper talk over a SOCK_SEQPACKET socket pair: one JSON
// message per packet, with a start request carrying the process's stdout
// and stderr as SCM_RIGHTS.

// maxMessage bounds a message; a start request is the command line and
// environment of a check or plugin.
const maxMessage = 64 << 10

type request struct {
	Op   string   `json:"op"` // "start" or "kill"
	ID   uint64   `json:"id"`
	Path string   `json:"path,omitempty"`
	Args []string `json:"args,omitempty"`
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	// ParentPIDEnv as in Spec.
	ParentPIDEnv string `json:"parent_pid_env,omitempty"`
}

type reply struct {
	Op     string `json:"op"` // "started", "failed" or "done"
	ID     uint64 `json:"id"`
	Pid    int    `json:"pid,omitempty"`
	Err    string `json:"err,omitempty"`
	Code   int    `json:"code"`
	Signal int    `json:"signal,omitempty"`
}

func send(c *net.UnixConn, v any, files ...*os.File) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxMessage {
		return fmt.Errorf("command line and environment take %d bytes, more than the %d allowed", len(b), maxMessage)
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	_, _, err = c.WriteMsgUnix(b, oob, nil)
	runtime.KeepAlive(files)
	return err
}

// receiver reads messages with the files sent along.
type receiver struct {
	c        *net.UnixConn
	buf, oob []byte
}

func newReceiver(c *net.UnixConn) *receiver {
	return &receiver{c: c, buf: make([]byte, maxMessage+1), oob: make([]byte, unix.CmsgSpace(4*8))}
}

// recv decodes the next message into v; io.EOF when the other end is gone.
func (r *receiver) recv(v any) ([]*os.File, error) {
	n, oobn, flags, _, err := r.c.ReadMsgUnix(r.buf, r.oob)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(r.oob[:oobn])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			fds, err := unix.ParseUnixRights(&m)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				files = append(files, os.NewFile(uintptr(fd), "received"))
			}
		}
	}
	if n == 0 { // a packet socket reads nothing once the peer is gone
		closeAll(files)
		return nil, io.EOF
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		closeAll(files)
		return nil, errors.New("message truncated")
	}
	if err := json.Unmarshal(r.buf[:n], v); err != nil {
		closeAll(files)
		return nil, err
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
