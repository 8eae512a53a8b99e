package conf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testConfig has a field of every kind a config has: structs in lists,
// conf's own types, plain values and free-form settings.
type testConfig struct {
	Name     string         `yaml:"name"`
	Count    int            `yaml:"count"`
	Items    []testItem     `yaml:"items"`
	Settings map[string]any `yaml:"settings"`
	Defaults any            `yaml:"defaults"`
	Shared   any            `yaml:"shared"`
	L0       []string       `yaml:"l0"`
	Tags     []string       `yaml:"tags"`
	Step     testStep       `yaml:"step"`
	Item     testItem       `yaml:"item"`
}

type testItem struct {
	Name    string     `yaml:"name"`
	Every   Duration   `yaml:"every"`
	Timeout Duration   `yaml:"timeout"`
	Match   Regexp     `yaml:"match"`
	Count   int        `yaml:"count"`
	Tags    []string   `yaml:"tags"`
	Steps   []testStep `yaml:"steps"`
}

type testStep struct {
	Name string   `yaml:"name"`
	Tags []string `yaml:"tags"`
}

func decodeFile(t testing.TB, file string) (*testConfig, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c testConfig
	doc, ps := Decode(file, data, &c, func(string) (string, bool) { return "", false })
	return &c, doc.Err(ps)
}

func TestInvalid(t *testing.T) {
	const dur = "(use a number and a unit: ms, s, m, h, d, w)"
	for file, want := range map[string]string{
		// In flow style the error names the field whose value is wrong,
		// not the last one on the line.
		"invalid-flow.yml": `testdata/invalid-flow.yml:1: items[0].every: invalid duration "2x" ` + dur + `
testdata/invalid-flow.yml:1: items[1].timeout: invalid duration "3q" ` + dur,
		"invalid-flow-same.yml": `testdata/invalid-flow-same.yml:2: items[0].every: invalid duration "5 min" ` + dur + `
testdata/invalid-flow-same.yml:2: items[0].timeout: invalid duration "5 min" ` + dur,
		"invalid-flow-types.yml": "testdata/invalid-flow-types.yml:2: items[0].count: cannot unmarshal !!str `lots` into int\n" +
			"testdata/invalid-flow-types.yml:2: items[0].tags: cannot unmarshal !!str `x` into []string\n" +
			"testdata/invalid-flow-types.yml:3: items[1].tags[1]: cannot unmarshal !!map into string\n" +
			"testdata/invalid-flow-types.yml:3: items[1].count: cannot unmarshal !!seq into int",
		"invalid-flow-env.yml": `testdata/invalid-flow-env.yml:1: items[0].name: environment variable SLOAGENT_TEST_UNSET_A is not set
testdata/invalid-flow-env.yml:1: items[0].match: environment variable SLOAGENT_TEST_UNSET_B is not set`,
		// An anchor used three times is one place in the file.
		"invalid-aliased-unknown.yml": `testdata/invalid-aliased-unknown.yml:1: items[0].colour: unknown field "colour"`,
		// Checking the nested aliases one by one took minutes.
		"invalid-alias-nested.yml": `testdata/invalid-alias-nested.yml:5: alias *i takes the nodes that aliases add to the document past 1000000, the most a config may have (an alias bomb?)`,
		"invalid-block.yml": `testdata/invalid-block.yml:6: items[0].timeout: invalid duration "forever" ` + dur + `
testdata/invalid-block.yml:7: items[0].match: invalid regular expression "(unclosed": missing closing ): ` + "`(unclosed`" + `
testdata/invalid-block.yml:9: items[1].colour: unknown field "colour"`,
		"invalid-alias-bomb.yml": `testdata/invalid-alias-bomb.yml:7: alias *l3 takes the nodes that aliases add to the document past 1000000, the most a config may have (an alias bomb?)`,
	} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			var err error
			returned := make(chan struct{})
			go func() {
				defer close(returned)
				_, err = decodeFile(t, "testdata/"+file)
			}()
			select {
			case <-returned:
			case <-time.After(time.Minute): // the alias bomb, expanded, takes far longer
				t.Fatal("Decode did not return")
			}
			if err == nil {
				t.Fatal("decoded; want an error")
			}
			if got := err.Error(); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestValid(t *testing.T) {
	c, err := decodeFile(t, "testdata/valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items) != 2 || c.Items[0].Every.D() != 10*time.Second || c.Items[0].Timeout.D() != 2*time.Second ||
		c.Items[0].Match.String() != "^ok$" || c.Items[1].Every.D() != time.Minute {
		t.Errorf("items: %+v", c.Items)
	}
	if s := fmt.Sprint(c.Settings); s != "map[nested:map[list:[1 2 map[three:3]] text:$literal]]" {
		t.Errorf("settings: %s", s)
	}
}

func TestTooLarge(t *testing.T) {
	data := []byte("name: x\n" + strings.Repeat("#", MaxFileSize))
	var c testConfig
	doc, ps := Decode("big.yml", data, &c, nil)
	want := "big.yml:the file has 8388616 bytes; a config may have at most 8388608 (8 MiB)"
	if err := doc.Err(ps); err == nil || err.Error() != want || doc.Root != nil {
		t.Errorf("got %v, want %s", err, want)
	}
}

// Every error of a file with 10,000 of them is reported, each with its
// field; reading the whole document again for each one took minutes. The
// bound is for a hang, not a measure: BenchmarkDecodeErrors measures.
func TestManyErrors(t *testing.T) {
	for _, kind := range []string{"type", "env"} {
		t.Run(kind, func(t *testing.T) {
			data := manyErrors(kind, 10000)
			var c testConfig
			start := time.Now()
			doc, ps := Decode("many.yml", data, &c, func(string) (string, bool) { return "", false })
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %s", took)
			}
			if len(ps) != 10000 {
				t.Fatalf("%d problems", len(ps))
			}
			field := "timeout"
			if kind == "env" {
				field = "name"
			}
			for i, p := range ps {
				if want := fmt.Sprintf("items[%d].%s", i, field); p.Field != want || p.Line != i+2 {
					t.Fatalf("problem %d: %v, want line %d, field %s", i, p, i+2, want)
				}
			}
			_ = doc
		})
	}
}

// manyErrors is a config with n errors of a kind, one per item, in flow
// style so that each line has several fields.
func manyErrors(kind string, n int) []byte {
	var b strings.Builder
	b.WriteString("items:\n")
	for i := range n {
		if kind == "env" {
			fmt.Fprintf(&b, "  - {name: \"${UNSET_%d}\", every: 1s, timeout: 1s}\n", i)
		} else {
			fmt.Fprintf(&b, "  - {name: p%d, every: 1s, timeout: %dx}\n", i, i)
		}
	}
	return []byte(b.String())
}

func BenchmarkDecodeErrors(b *testing.B) {
	for _, kind := range []string{"type", "env"} {
		b.Run(kind, func(b *testing.B) {
			data := manyErrors(kind, 10000)
			for b.Loop() {
				var c testConfig
				Decode("many.yml", data, &c, func(string) (string, bool) { return "", false })
			}
		})
	}
}

// FuzzDecode feeds Decode mutations of every config in the repository: it
// must return (no panic, no hang) with problems that say something.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yml", "../../agent/testdata/*.yml", "../../configs/*.yml",
		"../../configs/deploy/*.yml", "../../*/testdata/*.yml", "../../probes/*/testdata/*.yml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c testConfig
		doc, ps := Decode("fuzz.yml", data, &c, func(name string) (string, bool) {
			return "value of " + name, !strings.HasPrefix(name, "UNSET")
		})
		for _, p := range ps {
			if p.Msg == "" {
				t.Errorf("problem without a message: %+v", p)
			}
		}
		if err := doc.Err(ps); (err == nil) != (len(ps) == 0) {
			t.Errorf("Err %v for %d problems", err, len(ps))
		}
	})
}
