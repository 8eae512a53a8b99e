//go:build !linux

package boltfile

// locked reports false: on Windows a file in use cannot be renamed, so a
// damaged one held by another agent is not moved aside either; elsewhere
// the agent is not expected to share its state directory.
func locked(string) bool { return false }
