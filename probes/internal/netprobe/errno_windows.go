package netprobe

import (
	"errors"
	"syscall"
)

// isReset reports whether the peer reset or aborted the connection; Winsock
// has its own numbers for these, which syscall's POSIX names do not match.
func isReset(err error) bool {
	return errors.Is(err, syscall.WSAECONNRESET) || errors.Is(err, syscall.WSAECONNABORTED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
}
