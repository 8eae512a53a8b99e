package main

import "fmt"

// scrapeFormat is one way Prometheus asks for /metrics.
type scrapeFormat struct {
	name, accept string
	gzip         bool
}

// scrapeFormats are the formats Prometheus 2.x asks for, as its
// scrape_protocols name them, each compressed as Prometheus asks and not.
var scrapeFormats = []scrapeFormat{
	{"OpenMetrics", "application/openmetrics-text;version=1.0.0", true},
	{"OpenMetrics", "application/openmetrics-text;version=1.0.0", false},
	{"text", "text/plain;version=0.0.4", true},
	{"text", "text/plain;version=0.0.4", false},
	{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", true},
	{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", false},
}

// formatResult is the time to serve /metrics in one format.
type formatResult struct {
	scrapeFormat
	seconds float64 // median
	bytes   int
	served  string // the Content-Type the agent answered with
}

func (f scrapeFormat) String() string {
	if f.gzip {
		return f.name + ", gzip"
	}
	return f.name + ", uncompressed"
}

// scrapeFormats times n scrapes in every format, after one untimed read
// each, formats taking turns so that each sees the same minutes.
func (b *bench) scrapeFormats(u string, n int) ([]formatResult, error) {
	out := make([]formatResult, len(scrapeFormats))
	times := make([][]float64, len(scrapeFormats))
	for round := -1; round < n; round++ {
		for i, f := range scrapeFormats {
			d, size, ct, err := b.timeScrape(u, f.accept, f.gzip)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out[i] = formatResult{scrapeFormat: f, bytes: size, served: ct}
			if round >= 0 {
				times[i] = append(times[i], d)
			}
		}
	}
	for i := range out {
		out[i].seconds = medianOf(times[i])
		b.logf("/metrics as %s: %.1f ms, %d kB, served as %s", out[i].scrapeFormat, out[i].seconds*1000, out[i].bytes/1024, out[i].served)
	}
	return out, nil
}
