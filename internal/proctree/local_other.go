//go:build unix && !linux

package proctree

import "syscall"

func localAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
