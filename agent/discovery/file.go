package discovery

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/sloagent/sloagent/internal/conf"
)

// FileSDConfig is an entry of file_sd_configs, as Prometheus has it:
// files of target group lists (JSON *.json, YAML *.yml or *.yaml), each a
// path or a glob, re-read when one changes and every refresh_interval.
type FileSDConfig struct {
	Files           []string      `yaml:"files"`
	RefreshInterval conf.Duration `yaml:"refresh_interval,omitempty"`
}

// DefaultFileRefresh is Prometheus' default: the files are watched, so the
// periodic read only catches changes a watch misses (some network
// filesystems).
const DefaultFileRefresh = 5 * time.Minute

// maxTargetsFile bounds a target file as a config file is bounded.
const maxTargetsFile = conf.MaxFileSize

// ApplyDefaults sets the refresh interval.
func (c *FileSDConfig) ApplyDefaults() {
	c.RefreshInterval = cmp.Or(c.RefreshInterval, conf.Duration(DefaultFileRefresh))
}

// Validate checks the patterns.
func (c *FileSDConfig) Validate(r conf.Report) {
	if len(c.Files) == 0 {
		r.Errorf("files", "list at least one file")
	}
	for i, f := range c.Files {
		field := fmt.Sprintf("files[%d]", i)
		if _, err := filepath.Match(filepath.Base(f), ""); err != nil {
			r.Errorf(field, "invalid glob %q: %v", f, err)
			continue
		}
		switch filepath.Ext(f) {
		case ".json", ".yml", ".yaml":
		default:
			r.Errorf(field, "%q must end in .json, .yml or .yaml", f)
		}
	}
	validateRefresh(r, c.RefreshInterval)
}

func validateRefresh(r conf.Report, d conf.Duration) {
	if d < conf.Duration(time.Second) {
		r.Errorf("refresh_interval", "must be at least 1s (got %s)", d)
	}
}

// NewFileSource returns the source of c.
func NewFileSource(c FileSDConfig) Source { return &fileSource{c: c} }

type fileSource struct{ c FileSDConfig }

// Refresh reads every file the patterns match now. A pattern that matches
// nothing gives no targets, as in Prometheus; a file that cannot be read
// or parsed fails the whole refresh, which keeps the targets of the last.
func (s *fileSource) Refresh(ctx context.Context) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for _, pat := range s.c.Files {
		files, err := filepath.Glob(pat)
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
		for _, f := range files {
			gs, err := readGroups(f)
			if err != nil {
				return nil, err
			}
			for _, t := range flatten(gs, map[string]string{"__meta_filepath": f}) {
				if !seen[t.Address] {
					seen[t.Address] = true
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

// readGroups reads one file. Only a regular file is read: opening a named
// pipe that a glob matched waits for a writer that may never come, and
// with it every reload and the status page.
func readGroups(file string) ([]Group, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s), so not read", file, fileType(fi.Mode()))
	}
	data, err := conf.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(data) > maxTargetsFile {
		return nil, fmt.Errorf("%s: larger than %s", file, conf.ByteSize(maxTargetsFile))
	}
	gs, err := parseGroups(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return gs, nil
}

// fileType names a mode's type of file for an error.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// Watch watches the directories of the patterns, not the files: an
// editor or a deploy tool replaces a file by renaming another onto it,
// which a watch on the file itself would lose.
func (s *fileSource) Watch(ctx context.Context, wake func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	dirs := map[string]bool{}
	for _, pat := range s.c.Files {
		dir := filepath.Dir(pat)
		if !dirs[dir] {
			dirs[dir] = true
			if err := w.Add(dir); err != nil {
				return fmt.Errorf("watching %s: %w", dir, err)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if s.matches(ev.Name) {
				wake()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			return err
		}
	}
}

func (s *fileSource) matches(name string) bool {
	for _, pat := range s.c.Files {
		if ok, _ := filepath.Match(filepath.Clean(pat), filepath.Clean(name)); ok {
			return true
		}
	}
	return false
}
