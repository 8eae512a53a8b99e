package boltfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// A bbolt file starts with two meta pages; each names the page size, the
// root bucket's page, the freelist's page, the number of pages in use and
// a checksum. bbolt maps the file and reads pages through the mapping, so
// a file cut shorter than its pages (a full disk, a copy cut short) faults
// with SIGBUS, which no recover catches. The file is therefore checked
// with ordinary reads before bbolt maps it.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64 // up to and including the checksum
	noFreelist     = ^uint64(0)
)

// boltMeta is the part of a meta page the check needs.
type boltMeta struct {
	pageSize                    uint32
	root, freelist, pages, txid uint64
}

// parseMeta reads the meta page in b (a page from its start).
func parseMeta(b []byte) (boltMeta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return boltMeta{}, errors.New("cut short")
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	e := binary.NativeEndian // bbolt writes its structs as the host lays them out
	switch {
	case e.Uint32(m[0:]) != boltMagic:
		return boltMeta{}, errors.New("not a bbolt meta page")
	case e.Uint32(m[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("bbolt version %d", e.Uint32(m[4:]))
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != e.Uint64(m[56:]) {
		return boltMeta{}, errors.New("checksum mismatch")
	}
	return boltMeta{pageSize: e.Uint32(m[8:]), root: e.Uint64(m[16:]), freelist: e.Uint64(m[32:]),
		pages: e.Uint64(m[40:]), txid: e.Uint64(m[48:])}, nil
}

// damage is what checkFile found wrong. A fatal one means the file cannot
// be opened; otherwise one meta page is damaged and bbolt opens the file
// from the other, the one of the flush before (as after a torn write).
type damage struct {
	fatal bool
	why   string
}

// checkFile checks path before it is mapped. It returns nil for a sound
// file or none at all, an error only when the file cannot be read.
func checkFile(path string) (*damage, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := info.Size()
	if size == 0 {
		return &damage{fatal: true, why: "the file is empty (0 bytes)"}, nil
	}
	read := func(off int64) []byte {
		b := make([]byte, pageHeaderSize+metaSize)
		n, _ := f.ReadAt(b, off)
		return b[:n]
	}
	m0, err0 := parseMeta(read(0))
	pageSize := int64(m0.pageSize)
	var m1 boltMeta
	var err1 error
	if err0 == nil {
		m1, err1 = parseMeta(read(pageSize))
	} else {
		// The page size is in the damaged page: look for the second
		// meta page where each possible page size puts it, as bbolt does.
		err1 = errors.New("not found")
		for ps := int64(1024); ps <= 1<<24 && ps < size; ps *= 2 {
			if m, err := parseMeta(read(ps)); err == nil && int64(m.pageSize) == ps {
				m1, err1, pageSize = m, nil, ps
				break
			}
		}
	}
	if err0 != nil && err1 != nil {
		return &damage{fatal: true, why: fmt.Sprintf("neither meta page is valid (first: %v; second: %v)", err0, err1)}, nil
	}
	m := m0
	if err0 != nil || err1 == nil && m1.txid > m0.txid {
		m = m1
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 || int64(m.pageSize) != pageSize {
		return &damage{fatal: true, why: fmt.Sprintf("page size %d is not a power of two from 512", pageSize)}, nil
	}
	if want := int64(m.pages) * pageSize; m.pages < 2 || want > size || want < 0 {
		return &damage{fatal: true, why: fmt.Sprintf("the file is cut short: %d bytes, its %d pages take %d", size, m.pages, want)}, nil
	}
	if m.root < 2 || m.root >= m.pages || m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pages) {
		return &damage{fatal: true, why: fmt.Sprintf("root page %d or freelist page %d outside the file's %d pages", m.root, m.freelist, m.pages)}, nil
	}
	if m.freelist != noFreelist {
		// bbolt reads the freelist, and its overflow pages, at open.
		hdr := make([]byte, pageHeaderSize)
		if _, err := f.ReadAt(hdr, int64(m.freelist)*pageSize); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if overflow := uint64(binary.NativeEndian.Uint32(hdr[12:])); m.freelist+overflow >= m.pages {
			return &damage{fatal: true, why: fmt.Sprintf("the freelist runs past the file's %d pages", m.pages)}, nil
		}
	}
	switch {
	case err0 != nil:
		return &damage{why: fmt.Sprintf("the first meta page is damaged (%v)", err0)}, nil
	case err1 != nil:
		return &damage{why: fmt.Sprintf("the second meta page is damaged (%v)", err1)}, nil
	}
	return nil, nil
}
