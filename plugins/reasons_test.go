package plugins

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sloagent/sloagent/plugins/sdk"
	"github.com/sloagent/sloagent/probes"
)

// The SDKs spell the shared reasons out (the Go SDK is a module of its own
// and does not import the agent's probes package); they must be exactly
// the ones the agent accepts and the plugin README lists.
func TestSDKsExportEverySharedReason(t *testing.T) {
	var host []string
	for r := range sharedReasons {
		host = append(host, r)
	}
	slices.Sort(host)

	goSDK := sdk.SharedReasons()
	slices.Sort(goSDK)
	if !slices.Equal(goSDK, host) {
		t.Errorf("Go SDK reasons %v, the agent accepts %v", goSDK, host)
	}
	for _, c := range [][2]string{
		{sdk.ReasonTimeout, probes.ReasonTimeout}, {sdk.ReasonDNS, probes.ReasonDNS},
		{sdk.ReasonConnect, probes.ReasonConnect}, {sdk.ReasonTLS, probes.ReasonTLS},
		{sdk.ReasonProtocol, probes.ReasonProtocol}, {sdk.ReasonAssertion, probes.ReasonAssertion},
		{sdk.ReasonBodyMismatch, probes.ReasonBodyMismatch}, {sdk.ReasonStatusCode, probes.ReasonStatusCode},
		{sdk.ReasonInternal, probes.ReasonInternal}, {sdk.ReasonCanceled, probes.ReasonCanceled},
	} {
		if c[0] != c[1] {
			t.Errorf("Go SDK reason %q, the agent's %q", c[0], c[1])
		}
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`the shared ones \(([^)]*)\)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("plugins/README.md no longer lists the shared reasons as \"the shared ones (...)\"")
	}
	var listed []string
	for _, r := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(string(m[1]), -1) {
		listed = append(listed, r[1])
	}
	slices.Sort(listed)
	if !slices.Equal(listed, host) {
		t.Errorf("plugins/README.md lists %v, the agent accepts %v", listed, host)
	}

	py := exec.Command("/usr/bin/python3", "-c", "import sloagent_plugin as p; print(' '.join(sorted(p.SHARED_REASONS)))")
	py.Dir = "python"
	out, err := py.Output()
	if err != nil {
		t.Fatalf("python SDK: %v", err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, host) {
		t.Errorf("Python SDK reasons %v, the agent accepts %v", got, host)
	}
}
