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
	berrors "go.etcd.io/bbolt/errors"
)

// StateFile is the name of the state file in the state directory.
const StateFile = "slo.db"

// RemovedRetention is how long the history of an SLO that is no longer
// configured is kept, so that a config mistake or a rename back does not
// lose the budget.
const RemovedRetention = 90 * 24 * time.Hour

// lockTimeout bounds the wait for another process holding the state file.
const lockTimeout = 2 * time.Second

// Bucket layout: slos/<name> holds blocks of consecutive slots of each
// tier, keyed by the tier's tag and the block's start in Unix seconds (8
// bytes, big endian, so a tier's keys sort by time), each slot good and
// total as two big-endian uint32. Blocks keep the file small and its reads
// and writes few: a rolling 30-day SLO is some 45 blocks, 14 KB. seen is
// when the SLO was last configured and fine_from the first minute the
// minute blocks hold completely. Files of the first layout (a bucket per
// tier, a key per slot) are converted on open.
var (
	bucketSLOs   = []byte("slos")
	keySeen      = []byte("seen")
	keyFineFrom  = []byte("fine_from")
	errCorrupted = errors.New("state file is corrupted")

	// The first layout's tiers, a bucket each with a key per slot.
	oldFine   = []byte("m")
	oldCoarse = []byte("q")
	oldSlices = []byte("sq")
)

// layout is one stored tier: its tag, slot and block lengths.
type layout struct {
	tag               byte
	slotSecs, blkSecs int64
}

var (
	tierFine        = layout{1, fineSecs, 3600}    // runs per minute, an hour a block
	tierCoarse      = layout{2, coarseSecs, 86400} // runs per quarter hour, a day a block
	tierHours       = layout{3, 3600, 86400}       // runs per hour
	tierSlices      = layout{4, coarseSecs, 86400} // judged timeslices per quarter hour
	tierSliceHours  = layout{5, 3600, 86400}       // judged timeslices per hour
	blockCellBytes  = int64(8)
	oldToNewLayouts = map[string]layout{string(oldFine): tierFine, string(oldCoarse): tierCoarse, string(oldSlices): tierSlices}
)

func (l layout) slots() int64 { return l.blkSecs / l.slotSecs }

// key is the key of the block starting at start (Unix seconds).
func (l layout) key(start int64) []byte {
	k := make([]byte, 9)
	k[0] = l.tag
	binary.BigEndian.PutUint64(k[1:], uint64(start))
	return k
}

// blockStart returns the tier tag and start of a block's key; ok is false
// for other keys.
func blockStart(k []byte) (tag byte, start int64, ok bool) {
	if len(k) != 9 || k[0] > tierSliceHours.tag {
		return 0, 0, false
	}
	return k[0], int64(binary.BigEndian.Uint64(k[1:])), true
}

// blockFill is how full bbolt fills a page before splitting it: blocks are
// added in time order, at the end of their tier, so pages can be filled
// whole (the default, half, would double the file).
const blockFill = 1.0

// Store keeps SLO counts per slice in a bbolt file, which survives a crash
// at any point with the last committed flush.
type Store struct {
	db   *bolt.DB
	path string
	log  *slog.Logger
}

// OpenStore opens (or creates) the state file in dir. A file that cannot be
// read as a state file is renamed aside and replaced by an empty one, so a
// damaged file costs history, never the agent's start. It fails when dir
// cannot be created or written, or when another process holds the file.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	path := filepath.Join(dir, StateFile)
	db, err := openChecked(path)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("state file %s is locked by another process (is another agent using this state directory?)", path)
	}
	if _, serr := os.Stat(path); err != nil && serr != nil {
		return nil, fmt.Errorf("creating state file: %w", err)
	}
	if err != nil {
		aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("state file %s is unreadable (%v) and could not be moved aside: %w", path, err, rerr)
		}
		log.Error("SLO state file is unreadable; moved it aside and starting with no SLO history",
			"file", path, "moved_to", aside, "err", err)
		if db, err = openChecked(path); err != nil {
			return nil, fmt.Errorf("creating state file: %w", err)
		}
	}
	return &Store{db: db, path: path, log: log}, nil
}

// openChecked opens path and checks every page, so corruption is found now
// and not by a panic in the middle of a flush.
func openChecked(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errCorrupted, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, err
	}
	err = db.View(func(tx *bolt.Tx) error {
		var first error
		for e := range tx.Check() {
			if first == nil {
				first = e
			}
		}
		if first != nil {
			return fmt.Errorf("%w: %v", errCorrupted, first)
		}
		return nil
	})
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) error {
			root, err := tx.CreateBucketIfNotExists(bucketSLOs)
			if err != nil {
				return err
			}
			return migrate(root)
		})
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// release closes and reopens the file once the history is read. Reading
// it, and checking every page at open, made the whole file resident in
// the agent's memory map (some 40 KB per 30-day SLO); after the reopen the
// pages are the kernel's cache, which it can drop, and the agent maps only
// what its flushes touch.
func (s *Store) release() error {
	if err := s.db.Close(); err != nil {
		return err
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return err
	}
	s.db = db
	return nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

// Close closes the file. Flush the engine first.
func (s *Store) Close() error { return s.db.Close() }

// stored is what the store holds of one SLO.
type stored struct {
	fine, coarse, hours, slices, sliceHours []block
	fineFrom                                int64 // Unix seconds; 0 when nothing is stored
}

// block is a stored block: its start in Unix seconds, its slot length and
// its slots.
type block struct {
	start, slotSecs int64
	cells           []byte
}

// each calls fn with the start (Unix seconds) and counts of every slot
// that holds runs.
func (b block) each(fn func(start int64, c counts)) {
	for i := int64(0); (i+1)*blockCellBytes <= int64(len(b.cells)); i++ {
		v := b.cells[i*blockCellBytes:]
		c := counts{good: uint64(binary.BigEndian.Uint32(v)), total: uint64(binary.BigEndian.Uint32(v[4:]))}
		if c.total != 0 || c.good != 0 {
			fn(b.start+i*b.slotSecs, c)
		}
	}
}

// load reads one SLO's blocks.
func (s *Store) load(name string) (stored, error) {
	var out stored
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSLOs).Bucket([]byte(name))
		if b == nil {
			return nil
		}
		if v := b.Get(keyFineFrom); len(v) == 8 {
			out.fineFrom = int64(binary.BigEndian.Uint64(v))
		}
		into := map[byte]*[]block{tierFine.tag: &out.fine, tierCoarse.tag: &out.coarse, tierHours.tag: &out.hours,
			tierSlices.tag: &out.slices, tierSliceHours.tag: &out.sliceHours}
		slot := map[byte]int64{tierFine.tag: tierFine.slotSecs, tierCoarse.tag: coarseSecs, tierHours.tag: 3600,
			tierSlices.tag: coarseSecs, tierSliceHours.tag: 3600}
		return b.ForEach(func(k, v []byte) error {
			if tag, start, ok := blockStart(k); ok && v != nil && into[tag] != nil {
				*into[tag] = append(*into[tag], block{start, slot[tag], append([]byte(nil), v...)})
			}
			return nil
		})
	})
	return out, err
}

// batch is the changed slots of one SLO, by their start in Unix seconds,
// and what it no longer needs.
type batch struct {
	name                                    string
	fine, coarse, hours, slices, sliceHours map[int64]counts
	// Slots starting before these (Unix seconds) are out of the SLO's
	// reach and deleted.
	fineCutoff, coarseCutoff, hourCutoff int64
}

// write stores batches in one transaction, marks them seen at now and
// deletes SLOs that are not active once not seen for RemovedRetention.
func (s *Store) write(batches []batch, active map[string]bool, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSLOs)
		for _, bt := range batches {
			b, err := root.CreateBucketIfNotExists([]byte(bt.name))
			if err != nil {
				return err
			}
			// Batches are of configured SLOs or of ones removed
			// just now: either way seen now.
			if err := b.Put(keySeen, u64(uint64(now.Unix()))); err != nil {
				return err
			}
			if err := b.Put(keyFineFrom, u64(uint64(bt.fineCutoff))); err != nil {
				return err
			}
			b.FillPercent = blockFill
			for _, t := range []struct {
				l      layout
				m      map[int64]counts
				cutoff int64
			}{{tierFine, bt.fine, bt.fineCutoff}, {tierCoarse, bt.coarse, bt.coarseCutoff}, {tierHours, bt.hours, bt.hourCutoff},
				{tierSlices, bt.slices, bt.coarseCutoff}, {tierSliceHours, bt.sliceHours, bt.hourCutoff}} {
				cutoff := t.cutoff
				if t.m == nil {
					cutoff = math.MaxInt64 // a tier the SLO no longer has
				}
				if err := writeTier(b, t.l, t.m, cutoff); err != nil {
					return err
				}
			}
		}
		return pruneRemoved(root, active, now)
	})
}

// writeTier patches the slots of m into their blocks and deletes the
// blocks that end before cutoff.
func writeTier(b *bolt.Bucket, l layout, m map[int64]counts, cutoff int64) error {
	blocks := map[int64][]byte{}
	for start, c := range m {
		if start < cutoff {
			continue
		}
		bs := floorDiv(start, l.blkSecs) * l.blkSecs
		v, ok := blocks[bs]
		if !ok {
			v = make([]byte, l.slots()*blockCellBytes)
			copy(v, b.Get(l.key(bs)))
			blocks[bs] = v
		}
		i := (start - bs) / l.slotSecs * blockCellBytes
		binary.BigEndian.PutUint32(v[i:], uint32(c.good))
		binary.BigEndian.PutUint32(v[i+4:], uint32(c.total))
	}
	if err := putBlocks(b, l, blocks); err != nil {
		return err
	}
	// A tier's keys sort by time, so its expired blocks come first.
	cur := b.Cursor()
	first := []byte{l.tag}
	for k, _ := cur.Seek(first); k != nil; k, _ = cur.Seek(first) {
		tag, start, ok := blockStart(k)
		if !ok || tag != l.tag || start > math.MaxInt64-l.blkSecs || start+l.blkSecs > cutoff {
			break
		}
		if err := cur.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// putBlocks stores blocks of l, deleting those left without runs.
func putBlocks(b *bolt.Bucket, l layout, blocks map[int64][]byte) error {
	for bs, v := range blocks {
		if allZero(v) {
			if err := b.Delete(l.key(bs)); err != nil {
				return err
			}
			continue
		}
		if err := b.Put(l.key(bs), v); err != nil {
			return err
		}
	}
	return nil
}

func allZero(v []byte) bool {
	for _, b := range v {
		if b != 0 {
			return false
		}
	}
	return true
}

// migrate converts the SLOs stored in the first layout (a key per slot)
// into blocks. Its hours are summed from the quarter hours on load.
func migrate(root *bolt.Bucket) error {
	var names [][]byte
	if err := root.ForEachBucket(func(name []byte) error {
		names = append(names, append([]byte(nil), name...))
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		b := root.Bucket(name)
		for _, old := range [][]byte{oldFine, oldCoarse, oldSlices} {
			ob := b.Bucket(old)
			if ob == nil {
				continue
			}
			l := oldToNewLayouts[string(old)]
			slots := map[int64]counts{}
			if err := ob.ForEach(func(k, v []byte) error {
				if len(k) == 8 && len(v) == 8 {
					slots[int64(binary.BigEndian.Uint64(k))] = counts{uint64(binary.BigEndian.Uint32(v)), uint64(binary.BigEndian.Uint32(v[4:]))}
				}
				return nil
			}); err != nil {
				return err
			}
			if err := b.DeleteBucket(old); err != nil {
				return err
			}
			b.FillPercent = blockFill
			if err := writeTier(b, l, slots, math.MinInt64); err != nil {
				return err
			}
		}
	}
	return nil
}

func pruneRemoved(root *bolt.Bucket, active map[string]bool, now time.Time) error {
	var expired [][]byte
	err := root.ForEachBucket(func(name []byte) error {
		if active[string(name)] {
			return nil
		}
		seen := root.Bucket(name).Get(keySeen)
		if len(seen) != 8 || now.Sub(time.Unix(int64(binary.BigEndian.Uint64(seen)), 0)) > RemovedRetention {
			expired = append(expired, append([]byte(nil), name...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range expired {
		if err := root.DeleteBucket(name); err != nil {
			return err
		}
	}
	return nil
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}
