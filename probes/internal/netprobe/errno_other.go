//go:build !windows

package netprobe

import (
	"errors"
	"syscall"
)

// isReset reports whether the peer reset or aborted the connection.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
}
