// Package boltfile opens the agent's bbolt state files (the SLO state and
// the incidents) so that damage costs their history, never the agent's
// start. A file is checked with ordinary reads before bbolt maps it, every
// page is read and bbolt's own check run once it is open, and a file that
// fails is moved aside with an error logged and replaced by an empty one;
// a file with one damaged meta page is opened from the other and a copy of
// it kept. Another process holding the file is an error, not damage.
package boltfile

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// LockTimeout bounds the wait for another process holding a file.
const LockTimeout = 2 * time.Second

// File is a state file to open and the words its errors and logs use.
type File struct {
	Path string
	// Name names the file in errors: "state file", "incidents file".
	Name string
	// LogName names it in the logs: "SLO state file".
	LogName string
	// Lost is what a file moved aside took with it: "SLO history".
	Lost string
	Log  *slog.Logger
	// Prepare, when set, runs on the opened and checked file before it
	// is returned: it creates buckets, converts an older layout, reads
	// indexes. It returns the database to use (it may reopen the file)
	// and, on an error, the one to close (nil if closed). Its error
	// counts as damage: the file is moved aside.
	Prepare func(db *bolt.DB) (*bolt.DB, error)
}

var errLocked = errors.New("locked by another process")

// Open opens (or creates) f.Path. It fails when the file cannot be
// created, read or written, or when another process holds it.
func Open(f File) (*bolt.DB, error) {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lockedErr := func() error {
		return fmt.Errorf("%s %s is locked by another process (is another agent using this state directory?)", f.Name, f.Path)
	}
	dmg, err := checkFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name, err)
	}
	if dmg != nil && !dmg.fatal {
		// bbolt opens such a file from its other meta page, as after a
		// torn write; the damaged one is kept for a post-mortem.
		aside, err := copyAside(f.Path)
		if err != nil {
			return nil, fmt.Errorf("%s %s is damaged (%s) and could not be copied aside: %w", f.Name, f.Path, dmg.why, err)
		}
		log.Warn(f.LogName+" is damaged; opened it from its other meta page, so the last flush may be lost; kept a copy of the damaged file",
			"file", f.Path, "damage", dmg.why, "copy", aside)
	}
	if dmg == nil || !dmg.fatal {
		db, err := openChecked(f)
		if errors.Is(err, errLocked) {
			return nil, lockedErr()
		}
		if err == nil {
			return db, nil
		}
		if _, serr := os.Stat(f.Path); serr != nil {
			return nil, fmt.Errorf("creating %s: %w", f.Name, err)
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("opening %s: %w", f.Name, err) // not damage: the file stays where it is
		}
		dmg = &damage{fatal: true, why: err.Error()}
	}
	if locked(f.Path) {
		return nil, lockedErr()
	}
	aside, err := moveAside(f.Path)
	if err != nil {
		return nil, fmt.Errorf("%s %s is unreadable (%s) and could not be moved aside: %w", f.Name, f.Path, dmg.why, err)
	}
	log.Error(f.LogName+" is unreadable; moved it aside and starting with no "+f.Lost,
		"file", f.Path, "moved_to", aside, "damage", dmg.why)
	db, err := openChecked(f)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", f.Name, err)
	}
	return db, nil
}

// openChecked opens f.Path, reads every page and runs bbolt's own check,
// so that damage is found now and not by a panic in the middle of a write,
// then runs f.Prepare. Faults while the mapped pages are read become
// errors (debug.SetPanicOnFault) rather than a crash: the file's size was
// checked, but a damaged page can still point anywhere.
func openChecked(f File) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s is corrupted: %v", f.Name, r)
		}
		if err != nil && db != nil {
			_ = db.Close()
			db = nil
		}
	}()
	db, err = bolt.Open(f.Path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, errLocked
	}
	if err != nil {
		return nil, err
	}
	if err = db.View(readAll); err != nil {
		return db, fmt.Errorf("%s is corrupted: %v", f.Name, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		var first error
		for e := range tx.Check() { // drained: the check runs until it closes
			if first == nil {
				first = e
			}
		}
		return first
	})
	if err != nil {
		return db, fmt.Errorf("%s is corrupted: %v", f.Name, err)
	}
	if f.Prepare != nil {
		return f.Prepare(db)
	}
	return db, nil
}

// readAll reads every key and value of every bucket, touching each page.
func readAll(tx *bolt.Tx) error {
	var walk func(b *bolt.Bucket) error
	var sum byte
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if child := b.Bucket(k); child != nil {
					return walk(child)
				}
				return nil
			}
			for i := 0; i < len(v); i += 512 {
				sum += v[i]
			}
			if len(k) > 0 {
				sum += k[len(k)-1]
			}
			return nil
		})
	}
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(b) })
	_ = sum
	return err
}

// moveAside renames the file at path to a name of its own beside it.
func moveAside(path string) (string, error) {
	aside := asideName(path)
	return aside, os.Rename(path, aside)
}

// copyAside copies the file at path to a name of its own beside it.
func copyAside(path string) (string, error) {
	aside := asideName(path)
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := os.OpenFile(aside, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "", err
	}
	return aside, dst.Close()
}

// asideName is a name for a damaged file at path that no other file has.
func asideName(path string) string {
	base := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	name := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}
