package expo

import "testing"

func TestGzipAccepted(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip":                       true,
		"gzip, deflate":              true,
		"deflate, gzip;q=0.5":        true,
		"GZIP":                       true,
		"gzip;q=0":                   false,
		"gzip; q=0":                  false,
		"gzip;q=0.000":               false,
		"gzip;q=0.001":               true,
		"identity":                   false,
		"":                           false,
		"*":                          true,
		"*;q=0":                      false,
		"*, gzip;q=0":                false,
		"br;q=1.0, gzip;q=0, *;q=.1": false,
		"gzip;q=bogus":               false,
	} {
		if got := GzipAccepted(header); got != want {
			t.Errorf("GzipAccepted(%q) = %v, want %v", header, got, want)
		}
	}
}
