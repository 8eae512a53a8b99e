package slo

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// pendingWrite is what one write changes in the index, applied to the
// store's copy once its transaction has committed.
type pendingWrite struct {
	s     *Store
	at    int64              // Unix seconds
	recs  map[string]*record // records to put; nil to delete
	added []string           // names given new numbers, in order
	// expired is set when the write deleted what no SLO reaches any
	// more: each record's cut is then its reach at the write.
	expired bool
}

// record is the record of name as the write leaves it, or nil.
func (w *pendingWrite) record(name string) *record {
	if r, ok := w.recs[name]; ok {
		return r
	}
	return w.s.recs[name]
}

func (w *pendingWrite) commit(tx *bolt.Tx, batches []batch, removed bool) error {
	meta, index, slots, err := storeBuckets(tx)
	if err != nil {
		return err
	}
	for name, r := range w.recs {
		if r == nil {
			err = index.Delete([]byte(name))
		} else {
			err = index.Put([]byte(name), r.encode())
		}
		if err != nil {
			return err
		}
	}
	var u32 [4]byte
	binary.BigEndian.PutUint32(u32[:], w.s.nextID+uint32(len(w.added)))
	if err := meta.Put(keyNextID, u32[:]); err != nil {
		return err
	}
	if err := meta.Put(keyFlushed, u64(uint64(w.at))); err != nil {
		return err
	}
	slots.FillPercent = slotFill
	if err := w.putCells(slots, batches); err != nil {
		return err
	}
	if removed {
		return nil
	}
	return w.expire(slots)
}

// slotFill is how full bbolt fills a page of slots before splitting it:
// slots are added in time order, at the end of their tier, so pages can be
// filled whole (the default, half, would double the file).
const slotFill = 1.0

// putCells merges the batches' changed slots into the file, one value per
// slot whatever the number of SLOs in it.
func (w *pendingWrite) putCells(slots *bolt.Bucket, batches []batch) error {
	type group struct {
		key [9]byte
		es  []entry
	}
	var groups []group
	at := map[[9]byte]int{}
	for i := range batches {
		id := w.record(batches[i].name).id
		for _, sc := range batches[i].cells {
			var k [9]byte
			k[0] = sc.tag
			binary.BigEndian.PutUint64(k[1:], uint64(sc.start))
			g, ok := at[k]
			if !ok {
				g = len(groups)
				at[k] = g
				groups = append(groups, group{key: k})
			}
			groups[g].es = append(groups[g].es, entry{id: id, c: sc.c})
		}
	}
	var old, merged []entry
	var buf []byte
	for _, g := range groups {
		sort.Slice(g.es, func(i, j int) bool { return g.es[i].id < g.es[j].id })
		var err error
		if old, err = decodeEntries(old[:0], slots.Get(g.key[:])); err != nil {
			w.s.log.Warn("a slot of the SLO state file is malformed; rewriting it with this flush's counts only",
				"slot", int64(binary.BigEndian.Uint64(g.key[1:])), "err", err)
		}
		merged = mergeEntries(merged[:0], old, g.es)
		if err := putEntries(slots, g.key[:], merged, &buf); err != nil {
			return err
		}
	}
	return nil
}

// putEntries writes a slot's entries, or deletes the slot when none has
// runs.
func putEntries(slots *bolt.Bucket, key []byte, es []entry, buf *[]byte) error {
	*buf = encodeEntries((*buf)[:0], es)
	if len(*buf) == 0 {
		return slots.Delete(key)
	}
	// bbolt keeps the value until the transaction commits.
	return slots.Put(key, slices.Clone(*buf))
}

// expire deletes the slots out of every SLO's reach (a removed SLO's for
// RemovedRetention) and, from the slots some SLOs still reach, the entries
// of the others. An SLO's reach moves on by a slot at a time, so after the
// first write only the slots passed since the last one are rewritten, and
// none when every SLO has the same tiers.
func (w *pendingWrite) expire(slots *bolt.Bucket) error {
	w.expired = true
	var lowest [nTags + 1]int64
	for tag := range lowest {
		lowest[tag] = math.MaxInt64
	}
	w.each(func(r *record) {
		c := r.reach(w.reachAt(r))
		for tag := tagFine; tag <= tagSliceHours; tag++ {
			lowest[tag] = min(lowest[tag], c[tag])
		}
	})
	cur := slots.Cursor()
	for tag := byte(tagFine); tag <= tagSliceHours; tag++ {
		first := []byte{tag}
		for k, _ := cur.Seek(first); k != nil; k, _ = cur.Seek(first) {
			kt, start, ok := parseSlotKey(k)
			if !ok || kt != tag || start >= lowest[tag] {
				break
			}
			if err := cur.Delete(); err != nil {
				return err
			}
		}
	}
	// The stretches some SLO left since the last write (or, in the first
	// write, ever), by tag.
	var spans [nTags + 1][][2]int64
	w.each(func(r *record) {
		c := r.reach(w.reachAt(r))
		for tag := tagFine; tag <= tagSliceHours; tag++ {
			lo := lowest[tag]
			if r.known {
				lo = max(lo, r.cut[tag])
			}
			if hi := c[tag]; lo < hi && lo != math.MaxInt64 {
				spans[tag] = append(spans[tag], [2]int64{lo, hi})
			}
		}
	})
	var byID map[uint32][nTags + 1]int64
	var es, kept []entry
	var buf []byte
	for tag := byte(tagFine); tag <= tagSliceHours; tag++ {
		for _, sp := range mergeSpans(spans[tag]) {
			if byID == nil {
				byID = map[uint32][nTags + 1]int64{}
				w.each(func(r *record) { byID[r.id] = r.reach(w.reachAt(r)) })
			}
			var keys [][]byte
			for k, _ := cur.Seek(slotKey(tag, sp[0])); k != nil; k, _ = cur.Next() {
				if kt, start, ok := parseSlotKey(k); !ok || kt != tag || start >= sp[1] {
					break
				}
				keys = append(keys, slices.Clone(k))
			}
			for _, k := range keys {
				_, start, _ := parseSlotKey(k)
				es, _ = decodeEntries(es[:0], slots.Get(k))
				kept = kept[:0]
				for _, e := range es {
					if c, ok := byID[e.id]; ok && c[tag] <= start {
						kept = append(kept, e)
					}
				}
				if len(kept) == len(es) {
					continue
				}
				if err := putEntries(slots, k, kept, &buf); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// each calls fn with every record as the write leaves it.
func (w *pendingWrite) each(fn func(r *record)) {
	for name := range w.s.recs {
		if r := w.record(name); r != nil {
			fn(r)
		}
	}
	for _, name := range w.added {
		fn(w.recs[name])
	}
}

// reachAt is the time r's reach is taken at: now for a configured SLO,
// its last flush for one no longer configured.
func (w *pendingWrite) reachAt(r *record) int64 {
	if r.gone != 0 {
		return r.gone
	}
	return w.at
}

// mergeSpans sorts half-open spans and joins those that overlap or touch.
func mergeSpans(sp [][2]int64) [][2]int64 {
	if len(sp) < 2 {
		return sp
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i][0] < sp[j][0] })
	out := sp[:1]
	for _, s := range sp[1:] {
		if last := &out[len(out)-1]; s[0] <= last[1] {
			last[1] = max(last[1], s[1])
		} else {
			out = append(out, s)
		}
	}
	return out
}

// apply makes the store's copy of the index what the committed write left.
func (w *pendingWrite) apply() {
	s := w.s
	for name, r := range w.recs {
		if r == nil {
			delete(s.recs, name)
			continue
		}
		if old := s.recs[name]; old != nil {
			*old = *r
		} else {
			s.recs[name] = r
		}
	}
	if w.expired {
		for _, r := range s.recs {
			r.cut, r.known = r.reach(w.reachAt(r)), true
		}
	}
	s.nextID += uint32(len(w.added))
	s.flushed = w.at
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}
