package boltfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// locked reports whether another process (or another open of this one)
// holds path, as bbolt locks it: a damaged file in use is not moved aside.
func locked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}
