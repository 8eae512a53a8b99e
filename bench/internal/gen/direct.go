package gen

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Direct returns a Runner that GETs url with net/http and nothing else, on
// a new connection each time as the probers do: the floor of the
// comparison.
func Direct(url string) Runner {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return func(ctx context.Context, _ time.Time) Outcome {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return Outcome{Lag: -1}
		}
		resp, err := client.Do(req)
		if err != nil {
			return Outcome{Timeout: isTimeout(ctx, err), Lag: -1}
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err != nil {
			return Outcome{Timeout: isTimeout(ctx, err), Lag: -1}
		}
		return Outcome{OK: resp.StatusCode == http.StatusOK, Duration: Duration{Total: took.Seconds()}, Lag: -1}
	}
}
