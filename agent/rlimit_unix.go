//go:build unix

package agent

import "syscall"

// raiseFileLimit raises the soft limit on open files to the hard one, and
// returns it. Go's runtime already does so at start on most systems (and
// gives child processes the original back, which is why this only sets it
// when it has to).
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return uint64(lim.Cur)
}
