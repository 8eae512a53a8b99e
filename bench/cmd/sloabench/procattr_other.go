//go:build !linux

package main

import "syscall"

// dieWithParent has no parent-death signal to ask for outside Linux; the
// harness measures through /proc and runs on Linux only.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
