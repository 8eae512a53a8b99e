//go:build !linux

package main

import "errors"

const netnsEnv = "SLOABENCH_NETNS"

var errNoNetns = errors.New("network namespaces are Linux's")

func loopbackOnly() (bool, error)           { return false, errNoNetns }
func inNewNetns(args []string) (int, error) { return 0, errNoNetns }
func loopbackUp() error                     { return errNoNetns }
