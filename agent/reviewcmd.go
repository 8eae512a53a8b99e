package agent

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sloagent/sloagent/internal/clip"
)

// reviewCmd prints the Markdown draft of an incident's live-site review,
// or with --since the period report of the weekly operations review, as
// the running agent serves them: incidents and SLO history live in the
// agent's state files, which the agent holds open.
func reviewCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("review", stderr)
	agentURL := fs.String("agent.url", "http://localhost:9470", "URL of the running agent.")
	since := fs.String("since", "", "Write the report of this period (7d, 24h, 30d) instead of one incident's review.")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sloagent review [--agent.url=URL] INCIDENT\n       sloagent review [--agent.url=URL] --since=7d")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	var path string
	switch {
	case *since != "" && fs.NArg() == 0:
		path = "report?since=" + url.QueryEscape(*since)
	case *since == "" && fs.NArg() == 1:
		path = "incidents/" + url.PathEscape(fs.Arg(0)) + "/review"
	default:
		fs.Usage()
		return exitUsage
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(strings.TrimRight(*agentURL, "/") + "/" + path)
	if err != nil {
		return fail(stderr, "sloagent review", exitFailed, fmt.Sprintf("the agent at %s did not answer: %v", *agentURL, err))
	}
	defer resp.Body.Close()
	// One more byte than may be printed tells a draft cut short from one
	// that fits.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReviewSize+1))
	if err != nil {
		return fail(stderr, "sloagent review", exitFailed, fmt.Sprintf("the answer of the agent at %s broke off: %v", *agentURL, err))
	}
	if resp.StatusCode != http.StatusOK {
		return fail(stderr, "sloagent review", exitFailed, fmt.Sprintf("%s: %s", resp.Status, errorText(body)))
	}
	if len(body) > maxReviewSize {
		return fail(stderr, "sloagent review", exitFailed, fmt.Sprintf("the answer of the agent at %s is larger than %d MiB: not printed", *agentURL, maxReviewSize>>20))
	}
	// The agent writes Markdown; a login page or another service at that
	// address answers something else, which is not a review.
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/markdown" {
		return fail(stderr, "sloagent review", exitFailed, fmt.Sprintf("%s answered with %q, not the agent's Markdown: is --agent.url the address of sloagent?", *agentURL, resp.Header.Get("Content-Type")))
	}
	// The draft quotes what probes saw, which targets wrote.
	_, _ = io.WriteString(stdout, printable(string(body)))
	return exitOK
}

// maxReviewSize is the largest draft or report review prints.
const maxReviewSize = 16 << 20

// maxErrorText is how much of an error's answer review prints: the
// agent's errors are a line; a proxy's error page may be long.
const maxErrorText = 512

// errorText is the start of an error answer, on one screen.
func errorText(body []byte) string {
	return printable(clip.Head(strings.TrimSpace(string(body)), maxErrorText))
}
