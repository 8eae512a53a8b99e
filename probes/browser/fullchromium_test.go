package browser

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFullChromium runs journeys on the full Chromium browser in headless
// mode, for those who set chromium_path to it (or have no headless shell):
// the same steps, vitals and isolation as on the headless shell.
func TestFullChromium(t *testing.T) {
	if _, err := os.Stat(DefaultChromiumPath); err != nil {
		t.Skip("no " + DefaultChromiumPath)
	}
	b, err := Start(context.Background(), Options{ChromiumPath: DefaultChromiumPath}, t.TempDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if v := b.Stats().Version; !strings.Contains(v, "Chrome/") {
		t.Errorf("version %q", v)
	}
	checkInteractionToNextPaint(t, b, 3)
	checkVitalsOfTheLastPage(t, b)
	s := newSite(t)
	c := parseConfig(t, `
steps:
  - set_cookie: {name: session, value: full}
  - navigate: /echo
  - assert_text: {selector: "#cookie", contains: "cookie full"}
  - navigate: /keys
  - type: {selector: "#q", text: shoes}
  - press: {key: Enter, selector: "#q"}
  - assert_text: {selector: "#out", contains: "searched: shoes"}
    timeout: 3s
`)
	if res := runProbe(t, b, s.URL, c, 30*time.Second); !res.Success {
		t.Fatalf("%s: %s", res.Reason, res.Message)
	}
}
