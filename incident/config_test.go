package incident

import (
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"github.com/sloagent/sloagent/internal/conf"
)

func load(t *testing.T, name string) (Config, error) {
	t.Helper()
	var c Config
	err := testutil.LoadConfig(t, name, &c, func(r conf.Report) {
		c.Validate(r)
		c.ApplyDefaults()
	})
	return c, err
}

func TestConfig(t *testing.T) {
	c, err := load(t, "valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if *c.OpenAfterFailures != 5 || !c.opensOn("ticket") || c.CloseAfter.D() != 15*time.Minute || c.Retention.D() != 30*24*time.Hour {
		t.Errorf("decoded %+v", c)
	}
	var d Config
	d.ApplyDefaults()
	if *d.OpenAfterFailures != DefaultOpenAfterFailures || !d.opensOn("page") || d.opensOn("ticket") {
		t.Errorf("defaults %+v", d)
	}
	_, err = load(t, "invalid-incidents.yml")
	want := "invalid-incidents.yml:1: open_after_failures: must not be negative (got -1)\n" +
		`invalid-incidents.yml:2: open_on[1]: unknown severity "critical" (use page or ticket)` + "\n" +
		"invalid-incidents.yml:4: retention: must be at least 1d (got 12h)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
