// Package intdiv divides int64s rounding toward minus infinity, where Go's
// / and % round toward zero: a time before the Unix epoch then falls in the
// minute, hour or ring slot it lies in, as one after it does.
package intdiv

// Floor returns a/b rounded down: Floor(-1, 60) is -1, where -1/60 is 0.
func Floor(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Mod returns a - Floor(a, b)*b, which has the sign of b: Mod(-1, 60) is
// 59, the place of the minute's last second.
func Mod(a, b int64) int64 { return a - Floor(a, b)*b }
