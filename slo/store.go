package slo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sloagent/sloagent/internal/boltfile"
	"github.com/sloagent/sloagent/internal/intdiv"
)

// StateFile is the name of the state file in the state directory.
const StateFile = "slo.db"

// RemovedRetention is how long the history of an SLO that is no longer
// configured is kept, so that a config mistake or a rename back does not
// lose the budget.
const RemovedRetention = 90 * 24 * time.Hour

// MinFlushInterval is the shortest state_flush_interval: a flush is a
// transaction with two fsyncs, and writing more often than this buys no
// safety worth the disk's wear.
const MinFlushInterval = time.Second

// Bucket layout. slots holds one key per slot of a tier, its tag and its
// start in Unix seconds (8 bytes, big endian, so a tier's keys sort by
// time), whose value is the counts of every SLO with runs in that slot
// (see slots.go). A flush writes the few slots that changed, whatever the
// number of SLOs: at 10,000 SLOs a minute's flush writes three values of
// some 30 KB, where a bucket per SLO rewrote a page or more of each, 40 MB
// a minute. index maps each SLO's name to its record (its number in the
// slots and the shape of its tiers when last flushed); meta holds when the
// last flush happened and the next SLO number.
var (
	bucketMeta  = []byte("meta")
	bucketIndex = []byte("index")
	bucketSlots = []byte("slots")
	keyFlushed  = []byte("flushed")
	keyNextID   = []byte("next_id")

	errCorrupted = errors.New("state file is corrupted")
)

// storeBuckets returns the meta, index and slots buckets of a write,
// creating those the file has not yet.
func storeBuckets(tx *bolt.Tx) (meta, index, slots *bolt.Bucket, err error) {
	var bs [3]*bolt.Bucket
	for i, name := range [][]byte{bucketMeta, bucketIndex, bucketSlots} {
		if bs[i], err = tx.CreateBucketIfNotExists(name); err != nil {
			return nil, nil, nil, err
		}
	}
	return bs[0], bs[1], bs[2], nil
}

// The tiers a slot belongs to, as the first byte of its key.
const (
	tagFine       = 1 // runs per minute
	tagCoarse     = 2 // runs per quarter hour
	tagHours      = 3 // runs per hour
	tagSlices     = 4 // judged timeslices per quarter hour
	tagSliceHours = 5 // judged timeslices per hour
	nTags         = 5
)

// tagMinutes is each tag's slot length in minutes.
var tagMinutes = [nTags + 1]int64{tagFine: 1, tagCoarse: quarterMin, tagHours: hourMin, tagSlices: quarterMin, tagSliceHours: hourMin}

// tierIndex is the place of the tier of per minutes in a series.
func tierIndex(per int64) int {
	switch per {
	case 1:
		return 0
	case quarterMin:
		return 1
	}
	return 2
}

// slotKey is the key of the slot of tag starting at start (Unix seconds).
func slotKey(tag byte, start int64) []byte {
	k := make([]byte, 9)
	k[0] = tag
	binary.BigEndian.PutUint64(k[1:], uint64(start))
	return k
}

// parseSlotKey returns the tag and start of a slot's key; ok is false for
// other keys.
func parseSlotKey(k []byte) (tag byte, start int64, ok bool) {
	if len(k) != 9 || k[0] < tagFine || k[0] > tagSliceHours {
		return 0, 0, false
	}
	return k[0], int64(binary.BigEndian.Uint64(k[1:])), true
}

// Store keeps SLO counts per slot in a bbolt file, which survives a crash
// at any point with the last committed flush. Its methods other than
// Close are called by one Engine, under its lock.
type Store struct {
	db   *bolt.DB
	path string
	log  *slog.Logger

	// What the file's index and meta hold, read at open and kept in step
	// by every write that commits.
	recs    map[string]*record
	nextID  uint32
	flushed int64 // Unix seconds of the last write
	writes  uint64
}

// record is what the store knows of one SLO.
type record struct {
	id uint32
	// gone is when the SLO was last flushed while configured, once it is
	// no longer configured (Unix seconds); 0 while it is.
	gone int64
	// fineSince is the first minute the minute tier held every run of
	// at the last flush (math.MinInt64 for all it reaches).
	fineSince int64
	// sizes are the slot counts of the minute, quarter-hour and hour
	// tiers at the last flush; 0 for a tier it has not.
	sizes  [3]int32
	slices bool // timeslices: judged slices are stored too

	// In memory only: the slot starts before which the last write left
	// none of the SLO's entries, by tag, once known.
	cut   [nTags + 1]int64
	known bool
	mark  uint64 // the write that last saw it configured
}

const recordBytes = 34

func (r *record) encode() []byte {
	b := make([]byte, recordBytes)
	b[0] = 1 // the record's own layout
	binary.BigEndian.PutUint32(b[1:], r.id)
	binary.BigEndian.PutUint64(b[5:], uint64(r.gone))
	binary.BigEndian.PutUint64(b[13:], uint64(r.fineSince))
	for i, n := range r.sizes {
		binary.BigEndian.PutUint32(b[21+4*i:], uint32(n))
	}
	if r.slices {
		b[33] = 1
	}
	return b
}

func decodeRecord(b []byte) (record, bool) {
	if len(b) != recordBytes || b[0] != 1 {
		return record{}, false
	}
	r := record{id: binary.BigEndian.Uint32(b[1:]), gone: int64(binary.BigEndian.Uint64(b[5:])),
		fineSince: int64(binary.BigEndian.Uint64(b[13:])), slices: b[33] == 1}
	for i := range r.sizes {
		r.sizes[i] = int32(binary.BigEndian.Uint32(b[21+4*i:]))
	}
	return r, true
}

// same reports whether the stored parts of two records agree.
func (r *record) same(o *record) bool {
	return r.id == o.id && r.gone == o.gone && r.fineSince == o.fineSince && r.sizes == o.sizes && r.slices == o.slices
}

// reach returns, for each tag, the start (Unix seconds) of the oldest slot
// the SLO's tiers reach at time at; math.MaxInt64 for tiers it has not.
func (r *record) reach(at int64) [nTags + 1]int64 {
	var out [nTags + 1]int64
	limit := intdiv.Floor(at, fineSecs) + maxSkew
	for tag := byte(tagFine); tag <= tagSliceHours; tag++ {
		per := tagMinutes[tag]
		n := int64(r.sizes[tierIndex(per)])
		if n == 0 || (tag >= tagSlices && !r.slices) {
			out[tag] = math.MaxInt64
			continue
		}
		out[tag] = (intdiv.Floor(limit, per) - n + 1) * per * fineSecs
	}
	return out
}

// fineFrom is the first minute the stored minutes of r hold completely.
func (s *Store) fineFrom(r *record) int64 {
	at := r.gone
	if at == 0 {
		at = s.flushed
	}
	from := intdiv.Floor(at, fineSecs) + maxSkew - int64(r.sizes[0]) + 1
	if r.sizes[0] == 0 {
		from = math.MinInt64
	}
	return max(from, r.fineSince)
}

// OpenStore opens (or creates) the state file in dir. The file is checked
// before it is mapped (its size against its pages, its meta pages'
// checksums) and every page after: a file that cannot be read as a state
// file, or is empty, is renamed aside with an error logged and replaced by
// an empty one, so a damaged file costs history, never the agent's start.
// It fails when dir cannot be created or written, or when another process
// holds the file.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	path := filepath.Join(dir, StateFile)
	s := &Store{path: path, log: log}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// open opens s.path, moving a damaged file aside first.
func (s *Store) open() error {
	db, err := boltfile.Open(boltfile.File{Path: s.path, Name: "state file", LogName: "SLO state file",
		Lost: "SLO history", Log: s.log, Prepare: s.prepare})
	if err != nil {
		return err
	}
	s.db = db
	return nil
}

// prepare converts an older layout of a checked file and reads the index.
func (s *Store) prepare(db *bolt.DB) (*bolt.DB, error) {
	converted, err := convert(db, s.log)
	if err != nil {
		return db, err
	}
	if converted {
		if err := db.Close(); err != nil {
			return nil, err
		}
		if err := compactFile(s.path); err != nil {
			s.log.Warn("compacting the converted SLO state file failed; it keeps its free pages", "err", err)
		}
		if db, err = bolt.Open(s.path, 0o600, &bolt.Options{Timeout: boltfile.LockTimeout}); err != nil {
			return nil, err
		}
	}
	return db, db.View(s.loadIndex)
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

// Close closes the file. Flush the engine first.
func (s *Store) Close() error { return s.db.Close() }

// loadIndex reads the records and the meta keys.
func (s *Store) loadIndex(tx *bolt.Tx) error {
	s.recs = map[string]*record{}
	s.nextID, s.flushed = 1, 0
	if m := tx.Bucket(bucketMeta); m != nil {
		if v := m.Get(keyNextID); len(v) == 4 {
			s.nextID = binary.BigEndian.Uint32(v)
		}
		if v := m.Get(keyFlushed); len(v) == 8 {
			s.flushed = int64(binary.BigEndian.Uint64(v))
		}
	}
	idx := tx.Bucket(bucketIndex)
	if idx == nil {
		return nil
	}
	return idx.ForEach(func(k, v []byte) error {
		r, ok := decodeRecord(v)
		if !ok {
			return fmt.Errorf("%w: record of SLO %q is malformed", errCorrupted, k)
		}
		s.recs[string(k)] = &r
		s.nextID = max(s.nextID, r.id+1)
		return nil
	})
}

// restore fills new states (at minute now) with their stored slots, in one
// pass over the file.
func (s *Store) restore(sts []*state, now int64) error {
	// SLO numbers are dense: a slice finds an entry's state fastest, and
	// a restore at 10,000 SLOs of 30 days looks up 14 million.
	var byID []*state
	for _, st := range sts {
		st.beginRestore(now)
		if r := s.recs[st.name]; r != nil {
			if int(r.id) >= len(byID) {
				byID = append(byID, make([]*state, int(r.id)+1-len(byID))...)
			}
			byID[r.id] = st
		}
	}
	var err error
	if len(byID) > 0 {
		err = s.db.View(func(tx *bolt.Tx) error {
			var es []entry
			cur := tx.Bucket(bucketSlots).Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				tag, start, ok := parseSlotKey(k)
				if !ok {
					continue
				}
				var derr error
				if es, derr = decodeEntries(es[:0], v); derr != nil {
					s.log.Warn("a slot of the SLO state file is malformed; its counts are skipped", "slot", start, "err", derr)
				}
				m := intdiv.Floor(start, fineSecs)
				for _, e := range es {
					if int(e.id) < len(byID) && byID[e.id] != nil {
						byID[e.id].restoreSlot(tag, m, e.c)
					}
				}
			}
			return nil
		})
	}
	for _, st := range sts {
		fineFrom := int64(noHead)
		if r := s.recs[st.name]; r != nil {
			fineFrom = s.fineFrom(r)
		}
		st.endRestore(fineFrom, now)
	}
	return err
}

// batch is one SLO's slots changed since the last flush and the shape of
// its tiers.
type batch struct {
	name      string
	sizes     [3]int32
	slices    bool
	fineSince int64 // minute
	cells     []slotCount
}

// slotCount is one changed slot.
type slotCount struct {
	tag   byte
	start int64 // Unix seconds
	c     counts
}

// write stores batches in one transaction at now. Without removed, the
// batches are every configured SLO: other SLOs are marked no longer
// configured, those not configured for RemovedRetention are forgotten, and
// slots out of every SLO's reach are deleted. With removed, the batches
// are of SLOs removed just now. A write with nothing to store is skipped.
func (s *Store) write(batches []batch, now time.Time, removed bool) error {
	at := now.Unix()
	s.writes++
	w := &pendingWrite{s: s, at: at, recs: map[string]*record{}}
	dirty := false
	for i := range batches {
		b := &batches[i]
		r := s.recs[b.name]
		next := record{gone: 0, fineSince: b.fineSince, sizes: b.sizes, slices: b.slices}
		if removed {
			next.gone = at
		}
		if r == nil {
			next.id = s.nextID + uint32(len(w.added))
			w.added = append(w.added, b.name)
		} else {
			next.id, next.cut, next.known = r.id, r.cut, r.known
			r.mark = s.writes
		}
		if r == nil || !r.same(&next) {
			w.recs[b.name] = &next
		}
		dirty = dirty || len(b.cells) > 0
	}
	if !removed {
		for name, r := range s.recs {
			switch {
			case r.mark == s.writes:
			case r.gone == 0:
				// Configured at the last flush of an earlier run.
				gone := *r
				gone.gone = s.flushed
				w.recs[name] = &gone
			case at-r.gone > int64(RemovedRetention/time.Second):
				w.recs[name] = nil
			}
		}
	}
	if !dirty && len(w.recs) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return w.commit(tx, batches, removed) })
	if err != nil {
		return err
	}
	w.apply()
	return nil
}
