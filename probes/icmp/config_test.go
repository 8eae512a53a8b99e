package icmp

import (
	"testing"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

func TestConfigInvalid(t *testing.T) {
	probetest.InvalidFiles(t, func() probetest.Validator { return &Config{} }, map[string]string{
		"invalid-interval.yml": `invalid-interval.yml:2: packet_interval: invalid duration "1x" (use a number and a unit: ms, s, m, h, d, w)`,
		"invalid-packets.yml": `invalid-packets.yml:1: packets: must be 1-1000, got 5000
invalid-packets.yml:2: max_packet_loss: must be at least 0 and below 1 (a share of the requests), got 1`,
		"invalid-payload.yml":     `invalid-payload.yml:1: payload_size: must be 0-65487, got 70000`,
		"invalid-ttl.yml":         `invalid-ttl.yml:1: ttl: must be 1-255, got 256`,
		"invalid-unknown-key.yml": `invalid-unknown-key.yml:1: count: unknown field "count"`,
	}, nil)
}

func TestConfigValid(t *testing.T) {
	probetest.Valid(t, "testdata/valid.yml", &Config{}, nil)
}
