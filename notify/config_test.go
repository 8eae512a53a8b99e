package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/sloagent/sloagent/internal/testutil"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
)

// load decodes, defaults and validates a notifications section as the
// agent does.
func load(t *testing.T, name string) (Config, error) {
	t.Helper()
	var c Config
	err := testutil.LoadConfig(t, name, &c, func(r conf.Report) {
		c.ApplyDefaults()
		c.Validate(r)
	})
	return c, err
}

func TestValidConfig(t *testing.T) {
	c, err := load(t, "valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Alertmanagers) != 2 || c.ResendInterval.D() != 30*time.Second || *c.MaxRetries != DefaultMaxRetries || c.QueueCapacity != DefaultQueueCapacity {
		t.Fatalf("decoded %+v", c)
	}
	n, err := New(c, Source{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Targets(); got[1] != "http://alertmanager-2.example.com:9093/prefix" {
		t.Errorf("targets %v", got)
	}
	// Secrets and headers print redacted.
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cret", "team-a"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("%q printed:\n%s", secret, out)
		}
	}
}
