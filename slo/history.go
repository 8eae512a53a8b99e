package slo

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WriteHistory stores, for every SLO named, the runs run returns for each
// minute from from to to: what the engine of a rolling SLO that had counted
// them would have flushed (minutes for the last hours, quarter hours for
// the last days, hours for all).
// It sets up benchmarks and tests at a full window without simulating
// every run; an engine opening the store afterwards starts with them.
func (s *Store) WriteHistory(names []string, from, to time.Time, run func(minute time.Time) (good, total uint32)) error {
	first, last := floorDiv(from.Unix(), 60), floorDiv(to.Unix(), 60)
	fineFrom := max(first, last-int64((fineSpan+time.Hour)/time.Minute))
	tiers := []struct {
		l      layout
		from   int64 // minute
		blocks map[int64][]byte
	}{{tierFine, fineFrom, map[int64][]byte{}}, {tierCoarse, max(first, last-int64((coarseSpan+2*time.Hour)/time.Minute)), map[int64][]byte{}},
		{tierHours, first, map[int64][]byte{}}}
	for m := first; m <= last; m++ {
		g, t := run(time.Unix(m*60, 0))
		if t == 0 {
			continue
		}
		for _, tr := range tiers {
			if m < tr.from {
				continue
			}
			start := floorDiv(m*60, tr.l.slotSecs) * tr.l.slotSecs
			bs := floorDiv(start, tr.l.blkSecs) * tr.l.blkSecs
			v := tr.blocks[bs]
			if v == nil {
				v = make([]byte, tr.l.slots()*blockCellBytes)
				tr.blocks[bs] = v
			}
			i := (start - bs) / tr.l.slotSecs * blockCellBytes
			binary.BigEndian.PutUint32(v[i:], binary.BigEndian.Uint32(v[i:])+g)
			binary.BigEndian.PutUint32(v[i+4:], binary.BigEndian.Uint32(v[i+4:])+t)
		}
	}
	// Some hundred SLOs a transaction keeps each one's dirty pages few.
	const perTx = 200
	for lo := 0; lo < len(names); lo += perTx {
		err := s.db.Update(func(tx *bolt.Tx) error {
			root := tx.Bucket(bucketSLOs)
			root.FillPercent = blockFill
			for _, name := range names[lo:min(lo+perTx, len(names))] {
				b, err := root.CreateBucketIfNotExists([]byte(name))
				if err != nil {
					return err
				}
				if err := b.Put(keySeen, u64(uint64(to.Unix()))); err != nil {
					return err
				}
				if err := b.Put(keyFineFrom, u64(uint64(fineFrom*60))); err != nil {
					return err
				}
				b.FillPercent = blockFill
				for _, tr := range tiers {
					if err := putBlocks(b, tr.l, tr.blocks); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
