package intdiv

import "testing"

func TestFloorAndMod(t *testing.T) {
	for _, tc := range []struct{ a, b, floor, mod int64 }{
		{0, 60, 0, 0},
		{59, 60, 0, 59},
		{60, 60, 1, 0},
		{-1, 60, -1, 59},
		{-60, 60, -1, 0},
		{-61, 60, -2, 59},
		{7, -2, -4, -1},
		{-7, -2, 3, -1},
		{6, -2, -3, 0},
	} {
		if got := Floor(tc.a, tc.b); got != tc.floor {
			t.Errorf("Floor(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.floor)
		}
		if got := Mod(tc.a, tc.b); got != tc.mod {
			t.Errorf("Mod(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.mod)
		}
	}
}
