package dns

import (
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// BenchmarkProbe is one A query over UDP to a local server, with a record
// check.
func BenchmarkProbe(b *testing.B) {
	addr := serve(b, "udp", nil)
	c := probetest.Section[Config](b, `{query_name: example.test, query_type: A, validate_answer_rrs: {fail_if_not_matches_regexp: ['IN\tA\t192\.0\.2\.']}}`)
	probetest.Bench(b, probetest.New(b, &Kind, addr, c, 2*time.Second))
}
