package command

import (
	"os"
	"time"

	"github.com/sloagent/sloagent/internal/proctree"
)

const (
	// outputGrace bounds the wait for the output pipes once the check has
	// ended and its tree is gone; only a process the agent could not kill
	// (not its user's, or, on a system without a keeper, one that left the
	// check's process group) holds them longer. The run's deadline bounds
	// it too.
	outputGrace = 2 * time.Second
	// drainGrace is the least time given to read what is left in the
	// pipes, also after a timeout.
	drainGrace = 100 * time.Millisecond
	// killGrace bounds the wait for a killed check's tree to be gone.
	killGrace = time.Second
)

// running is a started check.
type running struct {
	proc           *proctree.Proc
	stdout, stderr *capture
}

// start runs path with stdout and stderr on pipes read here: the check's
// tree is started through proctree, so that it can be killed whole.
func start(path string, args, env []string, dir string) (*running, error) {
	proc, stdout, stderr, err := proctree.StartPiped(proctree.Spec{Path: path, Args: append([]string{path}, args...),
		Env: env, Dir: dir})
	if err != nil {
		return nil, err
	}
	return &running{proc: proc, stdout: newCapture(stdout), stderr: newCapture(stderr)}, nil
}

// output returns what the check wrote, once each pipe is closed or at
// deadline, whichever comes first.
func (r *running) output(deadline time.Time) (stdout, stderr []byte) {
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

// wait waits for the pipe's end until deadline, with a timer of its own:
// each pipe gets the whole wait, whatever the other one does.
func (c *capture) wait(deadline time.Time) []byte {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		// Unblocks the reader; what it read so far is kept.
		c.f.Close()
		<-c.done
	}
	c.f.Close()
	return c.buf
}
