package proctree

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkStart measures starting /bin/true and waiting for it to be done,
// through a keeper (whose CPU time is reported as keeper-cpu-ns/op) and as
// a child of this process; cpu-ns/op is this process's.
func BenchmarkStart(b *testing.B) {
	s := Spec{Path: "/bin/true", Args: []string{"true"}}
	for _, mode := range []string{"keeper", "local"} {
		b.Run(mode, func(b *testing.B) {
			start := startLocal
			var k *Keeper
			if mode == "keeper" {
				k = NewKeeper(Options{NoCgroup: true})
				defer k.Close()
				start = k.Start
				p, _ := start(s) // the keeper's own start is not measured
				p.Wait()
			}
			kcpu := cpuOf(k)
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			for b.Loop() {
				p, err := start(s)
				if err != nil {
					b.Fatal(err)
				}
				if st, err := p.Wait(); err != nil || !st.Success() {
					b.Fatal(st, err)
				}
			}
			b.StopTimer()
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			self := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(self.Nanoseconds())/float64(b.N), "cpu-ns/op")
			if k != nil {
				b.ReportMetric(float64((cpuOf(k)-kcpu).Nanoseconds())/float64(b.N), "keeper-cpu-ns/op")
			}
		})
	}
}

// cpuOf is the keeper's CPU time so far.
func cpuOf(k *Keeper) time.Duration {
	if k == nil {
		return 0
	}
	return time.Duration(stat(k.pid()).CPUTime() * float64(time.Second))
}
