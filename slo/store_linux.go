package slo

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// release drops the state file's pages from the agent's memory map. bbolt
// reads pages through the map, so reading the history at start, or a
// flush, leaves the pages it touched resident and counted in the agent's
// RSS until the kernel needs the memory (at 10,000 SLOs, the whole file).
// The pages stay in the page cache and the map stays valid: bbolt never
// writes through it, and the next read faults a page back in. A read
// transaction keeps bbolt from remapping meanwhile.
func (s *Store) release() {
	_ = s.db.View(func(tx *bolt.Tx) error {
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, s.db.Info().Data, uintptr(tx.Size()), unix.MADV_DONTNEED)
		return nil
	})
}
