//go:build linux && !race

package http

func raceAcquire(uintptr) {}
