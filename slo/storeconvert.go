package slo

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sloagent/sloagent/internal/boltfile"
	"github.com/sloagent/sloagent/internal/intdiv"
)

// The older layouts kept a bucket per SLO under slos, holding seen (when
// the SLO was last configured, Unix seconds), fine_from (the first minute
// its minutes held completely, in seconds) and its counts: in the second
// layout as blocks of consecutive slots keyed by tag and block start (an
// hour of minutes, else a day of slots), each slot good and total as two
// big-endian uint32; in the first as a bucket per tier (m, q, sq) with a
// key per slot.
var (
	bucketSLOs  = []byte("slos")
	keySeen     = []byte("seen")
	keyFineFrom = []byte("fine_from")
	firstLayout = map[byte][]byte{tagFine: []byte("m"), tagCoarse: []byte("q"), tagSlices: []byte("sq")}
	blockSecs   = [nTags + 1]int64{tagFine: 3600, tagCoarse: 86400, tagHours: 86400, tagSlices: 86400, tagSliceHours: 86400}
)

// convert rewrites a file of an older layout in the slot layout. It works
// a block of time at a time (an hour of minutes, a day of other slots), so
// that converting 10,000 SLOs holds some megabytes, not the whole history;
// the old buckets go last, and a conversion cut short starts again at the
// next open.
func convert(db *bolt.DB, log *slog.Logger) (converted bool, err error) {
	started := time.Now()
	var names []string
	var chunks [][2]int64 // tag, start
	err = db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSLOs)
		if root == nil {
			return nil
		}
		for _, b := range [][]byte{bucketMeta, bucketIndex, bucketSlots} {
			if tx.Bucket(b) != nil {
				if err := tx.DeleteBucket(b); err != nil {
					return err
				}
			}
		}
		index, err := tx.CreateBucket(bucketIndex)
		if err != nil {
			return err
		}
		seenChunk := map[[2]int64]bool{}
		var flushed int64
		err = root.ForEachBucket(func(name []byte) error {
			b := root.Bucket(name)
			r, oldest := oldRecord(b, uint32(len(names)+1), started.Unix())
			flushed = max(flushed, r.gone)
			names = append(names, string(name))
			eachOldKey(b, func(tag byte, start int64) {
				ch := [2]int64{int64(tag), intdiv.Floor(start, blockSecs[tag]) * blockSecs[tag]}
				if !seenChunk[ch] {
					seenChunk[ch] = true
					chunks = append(chunks, ch)
				}
			})
			r.sizes = oldSizes(oldest, r.gone)
			return index.Put(name, r.encode())
		})
		if err != nil {
			return err
		}
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		var next [4]byte
		binary.BigEndian.PutUint32(next[:], uint32(len(names)+1))
		if err := meta.Put(keyNextID, next[:]); err != nil {
			return err
		}
		if err := meta.Put(keyFlushed, u64(uint64(flushed))); err != nil {
			return err
		}
		_, err = tx.CreateBucket(bucketSlots)
		return err
	})
	if err != nil || names == nil {
		return false, err
	}
	slices.SortFunc(chunks, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return int(a[0] - b[0])
		}
		return int(a[1] - b[1])
	})
	// A transaction per some 50,000 blocks read: few fsyncs for a small
	// file, some megabytes of new slots held until each commit for a
	// large one.
	perTx := max(1, 50_000/len(names))
	for lo := 0; lo < len(chunks); lo += perTx {
		err := db.Update(func(tx *bolt.Tx) error {
			for _, ch := range chunks[lo:min(lo+perTx, len(chunks))] {
				if err := convertChunk(tx, names, byte(ch[0]), ch[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketSLOs) }); err != nil {
		return false, err
	}
	log.Info("converted the SLO state file to its current layout", "slos", len(names), "took", time.Since(started).Round(time.Millisecond))
	return true, nil
}

// compactFile rewrites the file at path without its free pages: bbolt
// never shrinks a file, and converting 10,000 SLOs of 30 days left 279 MB
// for 73 MB of state. The copy replaces the file only once it is whole.
func compactFile(path string) error {
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: boltfile.LockTimeout, ReadOnly: true})
	if err != nil {
		return err
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: boltfile.LockTimeout})
	if err != nil {
		src.Close()
		return err
	}
	err = bolt.Compact(dst, src, 16<<20)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if cerr := src.Close(); err == nil {
		err = cerr // closed before the rename: Windows renames no open file
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// oldRecord is the record of an SLO of an older layout, numbered id, and
// the oldest slot start (Unix seconds) of each tag it holds.
func oldRecord(b *bolt.Bucket, id uint32, now int64) (record, [nTags + 1]int64) {
	r := record{id: id, gone: now, fineSince: math.MinInt64}
	if v := b.Get(keySeen); len(v) == 8 {
		r.gone = int64(binary.BigEndian.Uint64(v))
	}
	if v := b.Get(keyFineFrom); len(v) == 8 {
		r.fineSince = intdiv.Floor(int64(binary.BigEndian.Uint64(v)), fineSecs)
	}
	var oldest [nTags + 1]int64
	for tag := range oldest {
		oldest[tag] = math.MaxInt64
	}
	eachOldKey(b, func(tag byte, start int64) {
		oldest[tag] = min(oldest[tag], start)
		r.slices = r.slices || tag >= tagSlices
	})
	return r, oldest
}

// oldSizes are tier sizes that reach back to the oldest slots stored, at
// the time the SLO was last configured: its history is kept as it was.
func oldSizes(oldest [nTags + 1]int64, at int64) [3]int32 {
	var sizes [3]int32
	limit := intdiv.Floor(at, fineSecs) + maxSkew
	for tag := byte(tagFine); tag <= tagSliceHours; tag++ {
		if oldest[tag] == math.MaxInt64 {
			continue
		}
		per := tagMinutes[tag]
		n := intdiv.Floor(limit, per) - intdiv.Floor(oldest[tag], per*fineSecs) + 1
		i := tierIndex(per)
		sizes[i] = int32(min(max(int64(sizes[i]), n), math.MaxInt32))
	}
	return sizes
}

// eachOldKey calls fn with the tag and start of every block (second
// layout) or slot (first layout) an SLO's bucket holds.
func eachOldKey(b *bolt.Bucket, fn func(tag byte, start int64)) {
	_ = b.ForEach(func(k, v []byte) error {
		if v != nil && len(k) == 9 && k[0] >= tagFine && k[0] <= tagSliceHours {
			fn(k[0], int64(binary.BigEndian.Uint64(k[1:])))
		}
		return nil
	})
	for tag, name := range firstLayout {
		if ob := b.Bucket(name); ob != nil {
			_ = ob.ForEach(func(k, _ []byte) error {
				if len(k) == 8 {
					fn(tag, int64(binary.BigEndian.Uint64(k)))
				}
				return nil
			})
		}
	}
}

// convertChunk writes the slots of tag in the block starting at start, of
// every SLO, in the slot layout.
func convertChunk(tx *bolt.Tx, names []string, tag byte, start int64) error {
	root, slots := tx.Bucket(bucketSLOs), tx.Bucket(bucketSlots)
	slots.FillPercent = slotFill
	slotSecs := tagMinutes[tag] * fineSecs
	end := start + blockSecs[tag]
	groups := map[int64][]entry{}
	add := func(id uint32, at int64, good, total uint32) {
		if total != 0 || good != 0 {
			groups[at] = append(groups[at], entry{id: id, c: counts{uint64(good), uint64(total)}})
		}
	}
	for i, name := range names {
		id := uint32(i + 1)
		b := root.Bucket([]byte(name))
		if b == nil {
			continue
		}
		if v := b.Get(slotKey(tag, start)); v != nil {
			for j := 0; (j+1)*8 <= len(v) && int64(j)*slotSecs < blockSecs[tag]; j++ {
				add(id, start+int64(j)*slotSecs, binary.BigEndian.Uint32(v[j*8:]), binary.BigEndian.Uint32(v[j*8+4:]))
			}
		}
		if ob := b.Bucket(firstLayout[tag]); firstLayout[tag] != nil && ob != nil {
			cur := ob.Cursor()
			for k, v := cur.Seek(u64(uint64(start))); k != nil; k, v = cur.Next() {
				at := int64(binary.BigEndian.Uint64(k))
				if len(k) != 8 || at >= end {
					break
				}
				if len(v) == 8 {
					add(id, at, binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:]))
				}
			}
		}
	}
	var buf []byte
	for at, es := range groups {
		if err := putEntries(slots, slotKey(tag, at), es, &buf); err != nil {
			return fmt.Errorf("converting the state file: %w", err)
		}
	}
	return nil
}
