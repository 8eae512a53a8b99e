package command

import (
	"os"
	"os/exec"
	"time"
)

// outputGrace bounds the wait for the output pipes after the check and its
// group are gone; only a process that escaped the group (a daemonised
// grandchild) can hold them longer.
const outputGrace = 2 * time.Second

// running is a started check.
type running struct {
	cmd            *exec.Cmd
	exited         chan error
	stdout, stderr *capture
}

// startGroup starts cmd in a process group of its own, with stdout and stderr
// on pipes read here rather than by os/exec, whose Wait would wait for every
// process that inherited them.
func startGroup(cmd *exec.Cmd) (*running, error) {
	cmd.SysProcAttr = sysProcAttr()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, err
	}
	r := &running{cmd: cmd, exited: make(chan error, 1), stdout: newCapture(outR), stderr: newCapture(errR)}
	go func() { r.exited <- cmd.Wait() }()
	return r, nil
}

// kill ends the check's whole process group.
func (r *running) kill() { killGroup(r.cmd.Process) }

// output returns what the check wrote, once the pipes are closed or after
// outputGrace.
func (r *running) output() (stdout, stderr []byte) {
	deadline := time.After(outputGrace)
	return r.stdout.wait(deadline), r.stderr.wait(deadline)
}

// capture reads a pipe to its end, keeping the first maxOutput bytes.
type capture struct {
	f    *os.File
	done chan struct{}
	buf  []byte
}

func newCapture(f *os.File) *capture {
	c := &capture{f: f, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			if keep := min(n, maxOutput-len(c.buf)); keep > 0 {
				c.buf = append(c.buf, b[:keep]...)
			}
			if err != nil { // io.EOF, or closed by wait
				return
			}
		}
	}()
	return c
}

func (c *capture) wait(deadline <-chan time.Time) []byte {
	select {
	case <-c.done:
	case <-deadline:
		// Unblocks the reader; what it read so far is kept.
		c.f.Close()
		<-c.done
	}
	c.f.Close()
	return c.buf
}
