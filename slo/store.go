package slo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
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

// Bucket layout: slos/<name>/{m,q,sq} hold slices keyed by their start in
// Unix seconds (8 bytes, big endian, so keys sort by time) with good and
// total as two big-endian uint32; slos/<name>/seen is when the SLO was last
// configured and slos/<name>/fine_from the first minute m holds completely.
var (
	bucketSLOs   = []byte("slos")
	tierFine     = []byte("m")  // runs per minute
	tierCoarse   = []byte("q")  // runs per quarter hour
	tierSlices   = []byte("sq") // judged timeslices per quarter hour
	keySeen      = []byte("seen")
	keyFineFrom  = []byte("fine_from")
	errCorrupted = errors.New("state file is corrupted")
)

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
			_, err := tx.CreateBucketIfNotExists(bucketSLOs)
			return err
		})
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

// Close closes the file. Flush the engine first.
func (s *Store) Close() error { return s.db.Close() }

// stored is what the store holds of one SLO.
type stored struct {
	fine, coarse, slices map[int64]counts // by slice start in Unix seconds
	fineFrom             int64            // Unix seconds; 0 when nothing is stored
}

// load reads one SLO's slices.
func (s *Store) load(name string) (stored, error) {
	out := stored{fine: map[int64]counts{}, coarse: map[int64]counts{}, slices: map[int64]counts{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSLOs).Bucket([]byte(name))
		if b == nil {
			return nil
		}
		if v := b.Get(keyFineFrom); len(v) == 8 {
			out.fineFrom = int64(binary.BigEndian.Uint64(v))
		}
		for _, t := range []struct {
			name []byte
			into map[int64]counts
		}{{tierFine, out.fine}, {tierCoarse, out.coarse}, {tierSlices, out.slices}} {
			tb := b.Bucket(t.name)
			if tb == nil {
				continue
			}
			if err := tb.ForEach(func(k, v []byte) error {
				if len(k) == 8 && len(v) == 8 {
					t.into[int64(binary.BigEndian.Uint64(k))] = counts{
						good: uint64(binary.BigEndian.Uint32(v)), total: uint64(binary.BigEndian.Uint32(v[4:])),
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// batch is the changed slices of one SLO and what it no longer needs.
type batch struct {
	name                 string
	fine, coarse, slices map[int64]counts
	// Slices starting before these (Unix seconds) are out of the SLO's
	// reach and deleted.
	fineCutoff, coarseCutoff int64
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
			for _, t := range []struct {
				name   []byte
				m      map[int64]counts
				cutoff int64
			}{{tierFine, bt.fine, bt.fineCutoff}, {tierCoarse, bt.coarse, bt.coarseCutoff}, {tierSlices, bt.slices, bt.coarseCutoff}} {
				if t.m == nil {
					if b.Bucket(t.name) != nil {
						if err := b.DeleteBucket(t.name); err != nil {
							return err
						}
					}
					continue
				}
				tb, err := b.CreateBucketIfNotExists(t.name)
				if err != nil {
					return err
				}
				if err := writeTier(tb, t.m, t.cutoff); err != nil {
					return err
				}
			}
		}
		return pruneRemoved(root, active, now)
	})
}

func writeTier(tb *bolt.Bucket, m map[int64]counts, cutoff int64) error {
	for start, c := range m {
		if start < cutoff {
			continue
		}
		k := u64(uint64(start))
		if c.total == 0 && c.good == 0 {
			if err := tb.Delete(k); err != nil {
				return err
			}
			continue
		}
		v := make([]byte, 8)
		binary.BigEndian.PutUint32(v, uint32(c.good))
		binary.BigEndian.PutUint32(v[4:], uint32(c.total))
		if err := tb.Put(k, v); err != nil {
			return err
		}
	}
	// Keys sort by time, so the expired ones are a prefix.
	cur := tb.Cursor()
	for k, _ := cur.First(); k != nil && int64(binary.BigEndian.Uint64(k)) < cutoff; k, _ = cur.First() {
		if err := cur.Delete(); err != nil {
			return err
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
