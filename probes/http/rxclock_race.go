//go:build linux && race

package http

import "syscall"

// raceAcquire tells the race detector that what the peer wrote before the
// data just received happened before: syscall.Read says so for every read
// (its read of nothing costs a syscall, only in race builds), recvmsg does
// not.
func raceAcquire(fd uintptr) { _, _ = syscall.Read(int(fd), nil) }
