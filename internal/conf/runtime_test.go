package conf

import (
	"path/filepath"
	"testing"
)

func TestCheckRunTime(t *testing.T) {
	t.Setenv("SLOAGENT_TEST_SET", "x")
	file := filepath.Join(t.TempDir(), "absent")
	r := NewReport().At("probes[0].browser")
	CheckRunTime(r, []RunTimeInput{
		{Field: "steps[0].type.text_env", Env: "SLOAGENT_TEST_SET"},
		{Field: "steps[1].type.text_env", Env: "SLOAGENT_TEST_UNSET_VARIABLE"},
		{Field: "steps[2].type.text_file", File: file},
		{Field: "steps[3].type.text_file", File: "runtime_test.go"},
	})
	want := []string{
		"probes[0].browser.steps[1].type.text_env: environment variable SLOAGENT_TEST_UNSET_VARIABLE is not set (read at each run)",
		"probes[0].browser.steps[2].type.text_file: stat " + file + ": no such file or directory (read at each run)",
	}
	got := r.Problems()
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("problem %d: %s, want %s", i, got[i], want[i])
		}
	}
}
