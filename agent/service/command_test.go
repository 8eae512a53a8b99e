package service

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
)

func TestServiceArgsMakePathsAbsolute(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	root := filepath.VolumeName(abs(".")) + string(filepath.Separator)
	state := filepath.Join(root, "ProgramData", "sloagent")
	for _, c := range []struct {
		in, want []string
	}{
		{nil, []string{"--storage.path=" + state}},
		{
			[]string{"--config.file=agent.yml", "--web.listen-address=:9470"},
			[]string{"--config.file=" + abs("agent.yml"), "--web.listen-address=:9470", "--storage.path=" + state},
		},
		{
			[]string{"-config.file", "conf/agent.yml", "--storage.path", "data", "--web.config.file=" + filepath.Join(root, "web.yml")},
			[]string{"-config.file", abs("conf/agent.yml"), "--storage.path", abs("data"), "--web.config.file=" + filepath.Join(root, "web.yml")},
		},
		{
			// Not path flags, and a trailing flag without its value.
			[]string{"--log.level=debug", "--storage.path=", "--config.file"},
			[]string{"--log.level=debug", "--storage.path=", "--config.file"},
		},
	} {
		if got := serviceArgs(c.in, state); !reflect.DeepEqual(got, c.want) {
			t.Errorf("serviceArgs(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"restart"},
		{"stop", "extra"},
		{"start", "--bogus"},
	} {
		var out, errOut bytes.Buffer
		if code := Command(args, &out, &errOut); code != 2 {
			t.Errorf("Command(%q) = %d, want 2 (usage)", args, code)
		}
		if out.Len() > 0 || errOut.Len() == 0 {
			t.Errorf("Command(%q): stdout %q, stderr %q; want only an error", args, out.String(), errOut.String())
		}
	}
}
