//go:build !windows

package conf

import "io/fs"

// Executable tells whether a configured program file may be run: on Unix,
// whether any execute bit is set.
func Executable(fi fs.FileInfo) bool { return fi.Mode()&0o111 != 0 }
