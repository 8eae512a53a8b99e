package boltfile

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("b")

// open opens path with a Prepare that creates bucket, logging to logs.
func open(path string, logs *bytes.Buffer) (*bolt.DB, error) {
	return Open(File{Path: path, Name: "test file", LogName: "test file", Lost: "tests",
		Log: slog.New(slog.NewTextHandler(logs, nil)),
		Prepare: func(db *bolt.DB) (*bolt.DB, error) {
			return db, db.Update(func(tx *bolt.Tx) error {
				_, err := tx.CreateBucketIfNotExists(bucket)
				return err
			})
		}})
}

// writeFile writes a sound file at path holding key k.
func writeFile(t *testing.T, path string) {
	t.Helper()
	var logs bytes.Buffer
	db, err := open(path, &logs)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenKeepsASoundFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	writeFile(t, path)
	var logs bytes.Buffer
	db, err := open(path, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v []byte
	_ = db.View(func(tx *bolt.Tx) error { v = tx.Bucket(bucket).Get([]byte("k")); return nil })
	if string(v) != "v" {
		t.Errorf("key read back as %q, want v", v)
	}
	if logs.Len() != 0 {
		t.Errorf("a sound file logged: %s", logs.String())
	}
}

// TestOpenMovesDamageAside checks each kind of damage: the file is moved
// aside unchanged, an error is logged, and an empty file takes its place.
func TestOpenMovesDamageAside(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, path string){
		"not a bbolt file": func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("sloagent"), 2048), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"empty": func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"cut short": func(t *testing.T, path string) {
			writeFile(t, path)
			if err := os.Truncate(path, 3*4096); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.db")
			damage(t, path)
			damaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			db, err := open(path, &logs)
			if err != nil {
				t.Fatalf("Open refused a damaged file: %v", err)
			}
			defer db.Close()
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("damaged file not moved aside: %v", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); !bytes.Equal(kept, damaged) {
				t.Error("the file moved aside is not the damaged file")
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "test file is unreadable; moved it aside and starting with no tests") {
				t.Errorf("no error logged: %s", logs.String())
			}
			if err := db.View(func(tx *bolt.Tx) error {
				if tx.Bucket(bucket) == nil {
					t.Error("the new file was not prepared")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenLockedFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	writeFile(t, path)
	var logs bytes.Buffer
	held, err := open(path, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := open(path, &logs); err == nil || !strings.Contains(err.Error(), "test file "+path+" is locked by another process") {
		t.Fatalf("second open: %v, want a locked error", err)
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 0 {
		t.Errorf("a file in use was moved aside: %v", aside)
	}
}
