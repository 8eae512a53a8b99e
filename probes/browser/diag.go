package browser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// diagPrefix starts the name of every run folder in the diagnostics
// directory, so retention only ever removes what this package wrote.
const diagPrefix = "browser-"

// diagRun is the folder of one run's diagnostics, created on first write.
type diagRun struct {
	b     *Browser
	name  string // folder name, relative to the diagnostics directory
	files []string
	err   error
}

// newDiagRun names the folder of a run of probe: browser-<UTC time>-<probe>-<n>,
// such as browser-20261204T130820.123Z-checkout-7. The time comes first, so
// names sort oldest first; the sequence keeps runs of the same millisecond
// apart.
func (b *Browser) newDiagRun(start time.Time, probe string) *diagRun {
	b.mu.Lock()
	b.diagSeq++
	seq := b.diagSeq
	b.mu.Unlock()
	name := diagPrefix + start.UTC().Format("20060102T150405.000Z") + "-"
	if p := safeName(probe); p != "" {
		name += p + "-"
	}
	return &diagRun{b: b, name: name + strconv.FormatUint(seq, 10)}
}

// safeName turns a probe name into something every file system and URL
// takes as is: letters, digits, _ . and -, at most 64 of them.
func safeName(s string) string {
	var sb strings.Builder
	for _, c := range s {
		if sb.Len() >= 64 {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			sb.WriteRune(c)
		case c == '.' && sb.Len() > 0:
			sb.WriteRune(c)
		default:
			sb.WriteRune('_')
		}
	}
	return sb.String()
}

// write saves data as file in the run's folder, and returns its path relative
// to the diagnostics directory.
func (d *diagRun) write(file string, data []byte) {
	if d.b.diagDir == "" || d.err != nil {
		return
	}
	dir := filepath.Join(d.b.diagDir, d.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		d.err = err
		return
	}
	if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
		d.err = err
		return
	}
	d.files = append(d.files, filepath.ToSlash(filepath.Join(d.name, file)))
}

func (d *diagRun) writeJSON(file string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		d.err = err
		return
	}
	d.write(file, append(data, '\n'))
}

// finish applies retention and returns the files that remain of this run.
func (d *diagRun) finish() []string {
	if len(d.files) == 0 {
		return nil
	}
	d.b.pruneDiagnostics(d.name)
	return d.files
}

// pruneDiagnostics removes the oldest run folders until the files left fit
// Options.Diagnostics. The folder of the run that just wrote (keep) stays, so
// a failure's evidence is never deleted before anyone saw it.
func (b *Browser) pruneDiagnostics(keep string) {
	b.diagMu.Lock()
	defer b.diagMu.Unlock()
	entries, err := os.ReadDir(b.diagDir)
	if err != nil {
		return
	}
	type run struct {
		name  string
		files int
		bytes int64
	}
	var runs []run
	var files int
	var bytes int64
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), diagPrefix) {
			continue
		}
		r := run{name: e.Name()}
		_ = filepath.WalkDir(filepath.Join(b.diagDir, e.Name()), func(_ string, de os.DirEntry, err error) error {
			if err == nil && !de.IsDir() {
				if info, err := de.Info(); err == nil {
					r.files++
					r.bytes += info.Size()
				}
			}
			return nil
		})
		runs = append(runs, r)
		files += r.files
		bytes += r.bytes
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].name < runs[j].name })
	maxFiles, maxBytes := b.opts.diagMaxFiles(), b.opts.diagMaxBytes()
	for _, r := range runs {
		if files <= maxFiles && bytes <= maxBytes {
			break
		}
		if r.name == keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(b.diagDir, r.name)); err != nil {
			b.log.Warn("removing old browser diagnostics", "dir", r.name, "err", err)
			continue
		}
		files -= r.files
		bytes -= r.bytes
	}
}
