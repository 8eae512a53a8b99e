package push

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	dto "github.com/prometheus/client_model/go"
	bolt "go.etcd.io/bbolt"
)

// OnceStateFile holds the counters of `sloagent once` in the state dir.
const OnceStateFile = "once.db"

var countersBucket = []byte("counters")

// Accumulate makes the counters of a one-shot run cumulative for a
// Pushgateway: it adds what earlier runs of this agent counted (kept in the
// state dir) to the run's own counts in mfs, and stores the sums.
// Prometheus scraping the Pushgateway then sees ordinary counters that only
// go up, as if it had scraped a daemon.
//
// It returns the keys (see seriesKey) of counter series that start with
// this run. When the state dir cannot be used every series is fresh and
// mfs keeps the run's own counts, with the error.
func Accumulate(dir string, mfs []*dto.MetricFamily) (fresh map[string]bool, err error) {
	fresh = map[string]bool{}
	var db *bolt.DB
	if err = os.MkdirAll(dir, 0o750); err == nil {
		db, err = bolt.Open(filepath.Join(dir, OnceStateFile), 0o640, &bolt.Options{Timeout: 10 * time.Second})
	}
	if err != nil {
		WalkCounters(mfs, func(key string, v *float64) { fresh[key] = true })
		return fresh, fmt.Errorf("opening the counter state: %w", err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(countersBucket)
		if err != nil {
			return err
		}
		var perr error
		WalkCounters(mfs, func(key string, v *float64) {
			if prev := b.Get([]byte(key)); len(prev) == 8 {
				*v += math.Float64frombits(binary.BigEndian.Uint64(prev))
			} else {
				fresh[key] = true
			}
			var buf [8]byte
			binary.BigEndian.PutUint64(buf[:], math.Float64bits(*v))
			if err := b.Put([]byte(key), buf[:]); err != nil && perr == nil {
				perr = err
			}
		})
		return perr
	})
	if err != nil {
		return fresh, fmt.Errorf("writing the counter state: %w", err)
	}
	return fresh, nil
}

// WalkCounters calls fn with the key and value of every cumulative series
// in mfs, as seriesOf names them: counters, and the buckets, sum and count
// of histograms. Values fn changes are written back. Native histogram
// buckets are dropped: they cannot be summed across runs this way.
func WalkCounters(mfs []*dto.MetricFamily, fn func(key string, v *float64)) {
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			var ls []labelPair
			for _, l := range m.GetLabel() {
				ls = append(ls, labelPair{l.GetName(), l.GetValue()})
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				v := m.GetCounter().GetValue()
				fn(seriesKey(name, ls), &v)
				m.Counter.Value = &v
			case dto.MetricType_HISTOGRAM:
				h := m.Histogram
				*h = dto.Histogram{SampleCount: h.SampleCount, SampleSum: h.SampleSum, Bucket: h.Bucket}
				for _, b := range h.Bucket {
					v := float64(b.GetCumulativeCount())
					fn(seriesKey(name+"_bucket", append(ls[:len(ls):len(ls)], labelPair{"le", formatLe(b.GetUpperBound())})), &v)
					n := uint64(v)
					b.CumulativeCount = &n
				}
				// Without an explicit +Inf bucket seriesOf derives it
				// from the count, under the count's key.
				count := float64(h.GetSampleCount())
				fn(seriesKey(name+"_count", ls), &count)
				sum := h.GetSampleSum()
				fn(seriesKey(name+"_sum", ls), &sum)
				n := uint64(count)
				h.SampleCount, h.SampleSum = &n, &sum
			}
		}
	}
}
