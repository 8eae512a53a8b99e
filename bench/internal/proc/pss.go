//go:build !windows

package proc

import "github.com/prometheus/procfs"

// pss is the proportional set size of pid in bytes, 0 if it is gone.
func pss(pid int) uint64 {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0
	}
	m, err := p.ProcSMapsRollup()
	if err != nil {
		return 0
	}
	return m.Pss
}
