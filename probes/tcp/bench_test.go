package tcp

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/sloagent/sloagent/probes/internal/probetest"
)

// BenchmarkProbe is one run against a local server that greets: connect,
// read the greeting until it matches, close.
func BenchmarkProbe(b *testing.B) {
	addr := probetest.Accept(b, "tcp4", func(c net.Conn) {
		io.WriteString(c, "+OK ready\r\n")
		c.Close()
	})
	c := probetest.Section[Config](b, `query_response: [{expect: '^\+OK'}]`)
	probetest.Bench(b, probetest.New(b, &Kind, addr, c, 2*time.Second))
}
