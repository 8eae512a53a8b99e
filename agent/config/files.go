package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sloagent/sloagent/internal/conf"
)

// Files returns the config files path names: the file itself, every *.yml
// and *.yaml file of a directory (not of its subdirectories), or every file
// a glob matches, in lexical order so that the merged lists have a stable
// order.
func Files(path string) ([]string, error) {
	if fi, err := os.Stat(path); err == nil {
		if !fi.IsDir() {
			return []string{path}, nil
		}
		var out []string
		for _, pat := range []string{"*.yml", "*.yaml"} {
			m, err := filepath.Glob(filepath.Join(globEscape(path), pat))
			if err != nil {
				return nil, err
			}
			out = append(out, m...)
		}
		slices.Sort(out)
		out = regular(out)
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: no *.yml or *.yaml config files in the directory", path)
		}
		return out, nil
	} else if !hasMeta(path) {
		return nil, err
	}
	m, err := filepath.Glob(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m = regular(m)
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: no config files match", path)
	}
	slices.Sort(m)
	return m, nil
}

// regular leaves out directories, which a glob may match.
func regular(paths []string) []string {
	return slices.DeleteFunc(paths, func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && fi.IsDir()
	})
}

func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[`) }

// globEscape quotes a directory's name for Glob; on Windows, where '\\'
// separates names, Glob cannot quote and the name is taken as it is.
func globEscape(dir string) string {
	if !hasMeta(dir) || filepath.Separator == '\\' {
		return dir
	}
	var b strings.Builder
	for _, r := range dir {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// source is one file of a config.
type source struct {
	file string
	data []byte
}

// layout is where each part of a config merged from several files came
// from: the items of its lists, and its sections, by file. Validation
// reports problems by the merged config's fields; layout turns them back
// into the fields and lines of the file that has them.
type layout struct {
	docs     []*conf.Document
	lists    map[string][]origin // list name: merged index -> origin
	sections map[string]int      // section: the file that sets it
}

// origin is an item of a list: file and index in that file's list.
type origin struct{ doc, index int }

var (
	itemRE    = regexp.MustCompile(`^([a-z_]+)\[(\d+)\](.*)$`)
	mentionRE = regexp.MustCompile(`\b([a-z_]+)\[(\d+)\]`)
)

// merge adds part, decoded from file d, to c: its lists' items are
// appended, its sections taken. A section set in two files is a problem.
func (l *layout) merge(c, part *Config, d int) []conf.Problem {
	var problems []conf.Problem
	root := l.docs[d].Root
	set := map[string]int{}
	if root != nil && len(root.Content) > 0 {
		m := root.Content[0]
		for k := 0; k+1 < len(m.Content); k += 2 {
			set[m.Content[k].Value] = m.Content[k].Line
		}
	}
	cv, pv := reflect.ValueOf(c).Elem(), reflect.ValueOf(part).Elem()
	t := cv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Slice {
			n := pv.Field(i).Len()
			for j := 0; j < n; j++ {
				l.lists[name] = append(l.lists[name], origin{d, j})
			}
			cv.Field(i).Set(reflect.AppendSlice(cv.Field(i), pv.Field(i)))
			continue
		}
		line, ok := set[name]
		if !ok {
			continue
		}
		if other, dup := l.sections[name]; dup {
			problems = append(problems, conf.Problem{Line: line, Field: name,
				Msg: fmt.Sprintf("also set in %s; a section may be set in one file only", l.place(other, name))})
			continue
		}
		l.sections[name] = d
		cv.Field(i).Set(pv.Field(i))
	}
	return problems
}

// place names a field of file d as file:line.
func (l *layout) place(d int, field string) string {
	doc := l.docs[d]
	ps := doc.Locate([]conf.Problem{{Field: field}})
	return fmt.Sprintf("%s:%d", doc.File, ps[0].Line)
}

// local returns the file a field of the merged config is in, and its field
// there.
func (l *layout) local(field string) (int, string) {
	if m := itemRE.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[2])
		if os := l.lists[m[1]]; i < len(os) {
			return os[i].doc, m[1] + "[" + strconv.Itoa(os[i].index) + "]" + m[3]
		}
	}
	top, _, _ := strings.Cut(field, ".")
	top, _, _ = strings.Cut(top, "[")
	return l.sections[top], field // 0, the first file, for a section none sets
}

// rename turns a field of file d into the merged config's.
func (l *layout) rename(d int) func(string) string {
	return func(field string) string {
		m := itemRE.FindStringSubmatch(field)
		if m == nil {
			return field
		}
		i, _ := strconv.Atoi(m[2])
		for j, o := range l.lists[m[1]] {
			if o.doc == d && o.index == i {
				return m[1] + "[" + strconv.Itoa(j) + "]" + m[3]
			}
		}
		return field
	}
}

// split sorts problems of the merged config into their files, with the
// fields of the files, and the items a message mentions (probes[3]) as
// the file has them: by index in the same file, else by file and line.
func (l *layout) split(ps []conf.Problem, into [][]conf.Problem, skip []map[string]bool) {
	for _, p := range ps {
		d, field := l.local(p.Field)
		if skip != nil && skip[d][field] {
			continue
		}
		p.Field = field
		p.Msg = mentionRE.ReplaceAllStringFunc(p.Msg, func(s string) string {
			if l.lists[s[:strings.IndexByte(s, '[')]] == nil {
				return s // not an item of a list of the config
			}
			od, of := l.local(s)
			if od == d {
				return of
			}
			return of + " in " + l.place(od, of)
		})
		into[d] = append(into[d], p)
	}
}

// err is the problems of each file, nil when there are none: a
// *conf.Error when one file has problems, conf.Errors when more do.
func (l *layout) err(per [][]conf.Problem) error {
	var es conf.Errors
	for d, ps := range per {
		if len(ps) == 0 {
			continue
		}
		if err := l.docs[d].Err(l.docs[d].Locate(ps)); err != nil {
			es = append(es, err.(*conf.Error))
		}
	}
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return es
}

// lines renders problems as warnings, file:line: warning: field: message.
func (l *layout) lines(ps []conf.Problem) []string {
	per := make([][]conf.Problem, len(l.docs))
	l.split(ps, per, nil)
	var out []string
	for d, ps := range per {
		for _, p := range l.docs[d].Locate(ps) {
			out = append(out, warningLine(l.docs[d].File, p))
		}
	}
	return out
}

// redactor is the merged config's: every file's secrets.
func (l *layout) redactor() *conf.Redactor {
	if len(l.docs) == 1 {
		return l.docs[0].Redactor()
	}
	rs := make([]*conf.Redactor, len(l.docs))
	renames := make([]func(string) string, len(l.docs))
	for d, doc := range l.docs {
		rs[d], renames[d] = doc.Redactor(), l.rename(d)
	}
	return conf.MergeRedactors(rs, renames)
}
