//go:build !windows

// Command testplugin is a plugin for the supervisor's tests. TESTPLUGIN_MODE
// picks how it misbehaves: "" behaves, "panic3" panics on every third call,
// "hang" stops itself (SIGSTOP) on a call to target "hang", "noisy" prints to
// stdout before the handshake, "pipes" prints a line with '|' in it there,
// "binary" a long run of bytes with no newline, "exit" exits at once,
// "grandchildren" starts processes that leave its process group (writing
// their pids to the file in TESTPLUGIN_PIDS), and "rawtext" sends text that
// is not UTF-8 as protobuf in other languages lets a plugin do.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"

	"github.com/sloagent/sloagent/plugins/sdk"
)

type plugin struct {
	mode  string
	calls atomic.Int64
}

func (p *plugin) Describe() sdk.Info {
	return sdk.Info{Name: "testplugin", Version: "1.2.3", Reasons: []string{"flaky", longReason}}
}

// longReason is declared, but too long for a label value of every run.
var longReason = "flaky_" + strings.Repeat("x", 100)

func (p *plugin) Probe(ctx context.Context, req sdk.Request) sdk.Response {
	n := p.calls.Add(1)
	if p.mode == "panic3" && n%3 == 0 {
		panic(fmt.Sprintf("call %d", n))
	}
	var s struct {
		Sleep   string `json:"sleep"`
		Reason  string `json:"reason"`
		Metrics []struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
			Value  float64           `json:"value"`
		} `json:"metrics"`
	}
	if err := req.Decode(&s); err != nil {
		return sdk.Fail(sdk.ReasonConfig, "bad settings: %v", err)
	}
	resp := sdk.Response{}
	for _, m := range s.Metrics {
		resp.Metrics = append(resp.Metrics, sdk.Metric{Name: m.Name, Labels: m.Labels, Value: m.Value})
	}
	resp.Metrics = append(resp.Metrics, sdk.Metric{Name: "testplugin_calls", Help: "Calls so far.", Value: float64(n)})
	switch req.Target {
	case "ok":
		resp.Success, resp.Message = true, fmt.Sprintf("call %d ok", n)
	case "env":
		var names []string
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "PLUGIN_CLIENT_CERT=") {
				kv = "PLUGIN_CLIENT_CERT=..." // long, and the same for every plugin
			}
			names = append(names, kv)
		}
		sort.Strings(names)
		resp.Success, resp.Message = true, strings.Join(names, " ")
	case "sleep":
		d, _ := time.ParseDuration(s.Sleep)
		select {
		case <-time.After(d):
			resp.Success, resp.Message = true, "slept"
		case <-ctx.Done():
			resp.Reason, resp.Message = sdk.ReasonTimeout, "interrupted"
		}
	case "ignore-deadline":
		d, _ := time.ParseDuration(s.Sleep)
		time.Sleep(d)
		resp.Success = true
	case "hang":
		if p.mode == "hang" {
			req.Log.Warn("stopping myself")
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
			// The stop reaches every thread a moment later; nothing
			// must answer meanwhile.
			time.Sleep(time.Hour)
		}
		resp.Success = true
	case "latin1":
		// What a target sent in another encoding, quoted as it came.
		resp.Reason, resp.Message = sdk.ReasonAssertion, "caf\xe9 answered \xff"
		resp.Metrics = append(resp.Metrics, sdk.Metric{Name: "testplugin_city", Labels: map[string]string{"city": "M\xfcnchen"}, Value: 1})
		req.Log.Info("read caf\xe9", "answer", "\xff")
	default:
		resp.Reason, resp.Message = s.Reason, "target is "+req.Target
	}
	req.Log.Info("probed", "target", req.Target, "call", n)
	return resp
}

func main() {
	mode := os.Getenv("TESTPLUGIN_MODE")
	switch mode {
	case "noisy":
		fmt.Println("starting up, version 1.2.3")
	case "pipes":
		fmt.Println("ready | version 2 | port 8080 | ok")
	case "binary":
		os.Stdout.Write(bytes.Repeat([]byte{0, 1, 2, 0xff}, 20000))
	case "rawtext":
		encoding.RegisterCodecV2(rawText{encoding.GetCodecV2(proto.Name)})
	case "exit":
		fmt.Fprintln(os.Stderr, "cannot start: no database")
		os.Exit(3)
	case "grandchildren":
		f := os.Getenv("TESTPLUGIN_PIDS")
		sh := exec.Command("/bin/sh", "-c", `f=`+f+`
setsid sleep 300 & echo $! >> $f
(setsid sh -c 'sleep 300 & echo $! >> '$f'; exec sleep 301' &)
while [ "$(wc -l < $f)" -lt 2 ]; do sleep 0.01; done`)
		if err := sh.Run(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	sdk.Serve(&plugin{mode: mode})
}

// rawText is the proto codec, except that each U+FFFD the SDK put in place
// of bytes that are not UTF-8 goes out as three bytes that are not UTF-8
// either, as a plugin written without the SDK may send them.
type rawText struct{ encoding.CodecV2 }

func (c rawText) Marshal(v any) (mem.BufferSlice, error) {
	out, err := c.CodecV2.Marshal(v)
	if err != nil {
		return nil, err
	}
	b := bytes.ReplaceAll(out.Materialize(), []byte("\uFFFD"), []byte("\xe9\xe9\xe9"))
	out.Free()
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}
