//go:build !linux

package command

func hostMain() {}
