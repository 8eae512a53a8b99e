package slo

import (
	"encoding/binary"
	"errors"
)

// entry is one SLO's counts in one slot of the state file.
type entry struct {
	id uint32
	c  counts
}

// A slot's value is its entries in ascending order of SLO number, each as
// three unsigned varints: the number's difference from the previous one
// (from 0), then good, then total. Most are three bytes, so a slot of
// 10,000 SLOs takes some 30 KB. Entries without runs are left out.

// encodeEntries appends es, which must be sorted by id, to dst.
func encodeEntries(dst []byte, es []entry) []byte {
	var prev uint32
	for _, e := range es {
		if e.c.total == 0 && e.c.good == 0 {
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(e.id-prev))
		dst = binary.AppendUvarint(dst, e.c.good)
		dst = binary.AppendUvarint(dst, e.c.total)
		prev = e.id
	}
	return dst
}

var errBadSlot = errors.New("malformed slot")

// decodeEntries appends the entries of a slot's value to dst. On a
// malformed value it returns those read before the fault.
func decodeEntries(dst []entry, v []byte) ([]entry, error) {
	var id uint64
	for len(v) > 0 {
		var f [3]uint64
		for i := range f {
			x, n := binary.Uvarint(v)
			if n <= 0 {
				return dst, errBadSlot
			}
			f[i], v = x, v[n:]
		}
		if f[0] == 0 && id > 0 || id+f[0] > 1<<32-1 {
			return dst, errBadSlot
		}
		id += f[0]
		dst = append(dst, entry{id: uint32(id), c: counts{good: f[1], total: f[2]}})
	}
	return dst, nil
}

// mergeEntries returns old with the entries of upd put in, both sorted by
// id: an entry of upd replaces old's of the same SLO.
func mergeEntries(dst, old, upd []entry) []entry {
	i, j := 0, 0
	for i < len(old) || j < len(upd) {
		switch {
		case j == len(upd) || i < len(old) && old[i].id < upd[j].id:
			dst = append(dst, old[i])
			i++
		case i == len(old) || upd[j].id < old[i].id:
			dst = append(dst, upd[j])
			j++
		default:
			dst = append(dst, upd[j])
			i++
			j++
		}
	}
	return dst
}
