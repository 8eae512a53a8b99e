//go:build !linux

package slo

// release is a no-op here: the pages a read or a flush touched stay mapped
// until the kernel reclaims them.
func (s *Store) release() {}

// locked reports false: on Windows a file in use cannot be renamed, so a
// damaged one held by another agent is not moved aside either; elsewhere
// the agent is not expected to share its state directory.
func locked(string) bool { return false }
