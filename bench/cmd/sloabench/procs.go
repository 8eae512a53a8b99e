package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a process the benchmark started. Its stderr goes to a log file
// in the work directory, so a failing system leaves its reason behind.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	done   chan struct{}
}

func (b *bench) start(name string, args ...string) (*child, error) {
	logf, err := os.Create(filepath.Join(b.work, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = b.work
	cmd.Stderr = logf
	cmd.SysProcAttr = dieWithParent()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout), done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the process to end and kills it if it does not within 5 s.
func (c *child) stop() {
	_ = c.stdin.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// readLine reads one line of the child's stdout, failing if none comes
// within timeout or the process exits.
func (c *child) readLine(timeout time.Duration) (string, error) {
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := c.stdout.ReadString('\n')
		ch <- line{strings.TrimSpace(s), err}
	}()
	select {
	case l := <-ch:
		if l.err != nil {
			return "", fmt.Errorf("%s: %v (see %s.log)", c.name, l.err, c.name)
		}
		return l.s, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("%s: no answer within %s (see %s.log)", c.name, timeout, c.name)
	}
}

// freePort returns a loopback address with a port free right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// startServer starts a system that serves HTTP on a free loopback port:
// args is its command line for that address (writing its config first if
// it needs one); it is ready when ready, a path, answers 200.
func (b *bench) startServer(name, ready string, args func(addr string) ([]string, error)) (*child, string, error) {
	addr, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cmd, err := args(addr)
	if err != nil {
		return nil, "", err
	}
	c, err := b.start(name, cmd...)
	if err != nil {
		return nil, "", err
	}
	if err := b.waitHTTP("http://"+addr+ready, c, 60*time.Second); err != nil {
		c.stop()
		return nil, "", err
	}
	return c, addr, nil
}

// startConfigured starts bin the way sloagent and blackbox_exporter both
// take their settings: config written to NAME.yml in the work directory
// (--config.file), --web.listen-address, warnings only.
func (b *bench) startConfigured(name, bin, config, ready string) (*child, string, error) {
	return b.startServer(name, ready, func(addr string) ([]string, error) {
		file, err := b.writeWork(name+".yml", config)
		return []string{bin, "--config.file=" + file, "--web.listen-address=" + addr, "--log.level=warn"}, err
	})
}

// writeWork writes a file into the work directory and returns its path.
func (b *bench) writeWork(name, text string) (string, error) {
	file := filepath.Join(b.work, name)
	return file, os.WriteFile(file, []byte(text), 0o644)
}

// waitHTTP polls url until it answers 200 or timeout passes.
func (b *bench) waitHTTP(url string, c *child, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			return fmt.Errorf("%s exited at start (see %s)", c.name, filepath.Join(b.work, c.name+".log"))
		default:
		}
		resp, err := b.client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %s within %s", c.name, url, timeout)
}
