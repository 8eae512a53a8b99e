package agent

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fail(stderr, "sloagent review", exitFailed, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fail(stderr, "sloagent review", exitFailed, fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body))))
	}
	_, _ = stdout.Write(body)
	return exitOK
}
