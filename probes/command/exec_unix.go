//go:build !windows

package command

import "io/fs"

func executable(fi fs.FileInfo) bool { return fi.Mode()&0o111 != 0 }
