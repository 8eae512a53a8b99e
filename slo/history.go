package slo

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sloagent/sloagent/internal/intdiv"
)

// WriteHistory stores, for every SLO named, the runs run returns for each
// minute from from to to: what the engine of a rolling SLO that had counted
// them would have flushed (minutes for the last hours, quarter hours for
// the last days, hours for all).
// It sets up benchmarks and tests at a full window without simulating
// every run; an engine opening the store afterwards starts with them.
func (s *Store) WriteHistory(names []string, from, to time.Time, run func(minute time.Time) (good, total uint32)) error {
	first, last := intdiv.Floor(from.Unix(), 60), intdiv.Floor(to.Unix(), 60)
	fineFrom := max(first, last-int64((fineSpan+time.Hour)/time.Minute))
	tiers := []struct {
		tag   byte
		from  int64 // minute
		slots map[int64]counts
	}{{tagFine, fineFrom, map[int64]counts{}}, {tagCoarse, max(first, last-int64((coarseSpan+2*time.Hour)/time.Minute)), map[int64]counts{}},
		{tagHours, first, map[int64]counts{}}}
	var oldest [nTags + 1]int64
	for tag := range oldest {
		oldest[tag] = math.MaxInt64
	}
	for m := first; m <= last; m++ {
		g, t := run(time.Unix(m*60, 0))
		if t == 0 {
			continue
		}
		for _, tr := range tiers {
			if m < tr.from {
				continue
			}
			start := intdiv.Floor(m, tagMinutes[tr.tag]) * tagMinutes[tr.tag] * fineSecs
			c := tr.slots[start]
			tr.slots[start] = counts{c.good + uint64(g), c.total + uint64(t)}
			oldest[tr.tag] = min(oldest[tr.tag], start)
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, index, _, err := storeBuckets(tx)
		if err != nil {
			return err
		}
		for _, name := range names {
			r := s.recs[name]
			if r == nil {
				r = &record{id: s.nextID}
				s.nextID++
				s.recs[name] = r
			}
			r.gone, r.fineSince, r.sizes, r.slices, r.known = 0, fineFrom, oldSizes(oldest, to.Unix()), false, false
			if err := index.Put([]byte(name), r.encode()); err != nil {
				return err
			}
		}
		var next [4]byte
		binary.BigEndian.PutUint32(next[:], s.nextID)
		if err := meta.Put(keyNextID, next[:]); err != nil {
			return err
		}
		s.flushed = max(s.flushed, to.Unix())
		return meta.Put(keyFlushed, u64(uint64(s.flushed)))
	})
	if err != nil {
		return err
	}
	// Every SLO has the same runs: one value per slot, with an entry per
	// SLO, some hundred slots a transaction.
	es := make([]entry, 0, len(names))
	for _, name := range names {
		es = append(es, entry{id: s.recs[name].id})
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
	var buf []byte
	for _, tr := range tiers {
		starts := make([]int64, 0, len(tr.slots))
		for start := range tr.slots {
			starts = append(starts, start)
		}
		const perTx = 100
		for lo := 0; lo < len(starts); lo += perTx {
			err := s.db.Update(func(tx *bolt.Tx) error {
				_, _, slots, err := storeBuckets(tx)
				if err != nil {
					return err
				}
				slots.FillPercent = slotFill
				var old, merged []entry
				for _, start := range starts[lo:min(lo+perTx, len(starts))] {
					for i := range es {
						es[i].c = tr.slots[start]
					}
					key := slotKey(tr.tag, start)
					old, _ = decodeEntries(old[:0], slots.Get(key))
					merged = mergeEntries(merged[:0], old, es)
					if err := putEntries(slots, key, merged, &buf); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
