package incident

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sloagent/sloagent/internal/boltfile"
)

// File is the incidents file's name, in the state directory beside the
// SLO state.
const File = "incidents.db"

// Buckets: incidents by ID (8 bytes, big endian, so newest last) as
// JSON; days by "<day>\x00<probe>" as JSON.
var (
	bucketIncidents = []byte("incidents")
	bucketDays      = []byte("days")
)

// Store keeps incidents in a bbolt file, which survives a crash at any
// point with its last committed write.
type Store struct {
	db *bolt.DB
}

// OpenStore opens (or creates) the incidents file in dir. A file that
// cannot be read is moved aside and replaced by an empty one: a damaged
// file costs the incidents' history, never the agent's start.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	db, err := boltfile.Open(boltfile.File{Path: filepath.Join(dir, File), Name: "incidents file",
		LogName: "incidents file", Lost: "incidents", Log: log, Prepare: createBuckets})
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// createBuckets creates the buckets of a new file.
func createBuckets(db *bolt.DB) (*bolt.DB, error) {
	return db, db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIncidents, bucketDays} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func idKey(id string) ([]byte, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return nil, false
	}
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k, true
}

// create gives inc the next ID and writes it.
func (s *Store) create(inc *Incident) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		inc.ID = strconv.FormatUint(n, 10)
		return putIncident(b, inc)
	})
}

func putIncident(b *bolt.Bucket, inc *Incident) error {
	k, ok := idKey(inc.ID)
	if !ok {
		return nil // kept in memory only
	}
	v, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

// put writes incidents and daily counts in one transaction.
func (s *Store) put(incs []*Incident, days []*DayStats) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		for _, inc := range incs {
			if err := putIncident(b, inc); err != nil {
				return err
			}
		}
		db := tx.Bucket(bucketDays)
		for _, d := range days {
			v, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := db.Put([]byte(d.Day+"\x00"+d.Probe), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// openIncidents returns the incidents not closed, oldest first.
func (s *Store) openIncidents() ([]*Incident, error) {
	var out []*Incident
	err := s.each(func(inc *Incident) bool {
		if inc.Open() {
			out = append([]*Incident{inc}, out...)
		}
		return true
	})
	return out, err
}

// each calls fn with every incident, newest first, until it returns
// false. An entry that does not decode is skipped.
func (s *Store) each(fn func(*Incident) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketIncidents).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			inc, err := decodeIncident(v)
			if err != nil {
				continue
			}
			if !fn(inc) {
				return nil
			}
		}
		return nil
	})
}

// get returns the incident with the ID, or nil.
func (s *Store) get(id string) (*Incident, error) {
	k, ok := idKey(id)
	if !ok {
		return nil, nil
	}
	var inc *Incident
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketIncidents).Get(k)
		if v == nil {
			return nil
		}
		var err error
		inc, err = decodeIncident(v)
		return err
	})
	return inc, err
}

// decodeIncident reads a stored incident. The file may hold what this
// agent never wrote (a damaged value that is still JSON, an older
// layout): an empty entry of a list is dropped and a probe without its
// reasons gets an empty set, so that the tracker, which adds to them,
// carries the incident on.
func decodeIncident(v []byte) (*Incident, error) {
	var inc Incident
	if err := json.Unmarshal(v, &inc); err != nil {
		return nil, err
	}
	inc.Probes = slices.DeleteFunc(inc.Probes, func(p *Probe) bool { return p == nil })
	inc.Messages = slices.DeleteFunc(inc.Messages, func(m *Message) bool { return m == nil })
	inc.Alerts = slices.DeleteFunc(inc.Alerts, func(a *Alert) bool { return a == nil })
	for _, p := range inc.Probes {
		if p.Reasons == nil {
			p.Reasons = map[string]int{}
		}
	}
	return &inc, nil
}

// day returns a probe's stored counts of a day, or nil.
func (s *Store) day(k dayKey) (*DayStats, error) {
	var d *DayStats
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDays).Get([]byte(k.day + "\x00" + k.probe))
		if v == nil {
			return nil
		}
		d = &DayStats{}
		return json.Unmarshal(v, d)
	})
	return d, err
}

// days returns every probe's counts of the days from to to (2026-01-31).
func (s *Store) days(from, to string) ([]DayStats, error) {
	var out []DayStats
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDays).Cursor()
		for k, v := c.Seek([]byte(from)); k != nil && string(k[:min(len(k), len(to))]) <= to; k, v = c.Next() {
			var d DayStats
			if json.Unmarshal(v, &d) == nil {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// prune deletes incidents closed before cutoff and days before it.
func (s *Store) prune(cutoff time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		var old [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			if inc, err := decodeIncident(v); err == nil && !inc.Open() && inc.Closed.Before(cutoff) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		c := tx.Bucket(bucketDays).Cursor()
		day := []byte(dayOf(cutoff))
		for k, _ := c.First(); k != nil && string(k) < string(day); k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// clone is a deep copy, for handing out what the tracker keeps changing.
func (i *Incident) clone() *Incident {
	b, err := json.Marshal(i)
	if err != nil {
		panic(err) // only plain types: cannot happen
	}
	var c Incident
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}
