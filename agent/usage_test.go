package agent

import (
	"regexp"
	"strings"
	"testing"
)

// --help reads like a Prometheus exporter's: on stdout, exit 0, every flag
// with its default, and the commands.
func TestHelpInTheExportersLayout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var stdout, stderr strings.Builder
		if code := Main(args, &stdout, &stderr); code != exitOK || stderr.Len() > 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{
			"usage: sloagent [<flags>] [<command> [<args> ...]]\n",
			"\nFlags:\n  -h, --help ",
			"\n      --web.listen-address=\":9470\"\n",
			"\n      --log.level=\"info\" ",
			"\n      --config.file=FILE ",
			"\n      --version ",
			"\nCommands:\n  check-config <file>...\n    Validate config files",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if len(line) > helpWidth {
				t.Errorf("line of %d columns: %q", len(line), line)
			}
		}
	}
	var stdout, stderr strings.Builder
	if code := Main([]string{"--no-such-flag"}, &stdout, &stderr); code != exitUsage ||
		stderr.String() != "flag provided but not defined: -no-such-flag\nsloagent: try --help\n" {
		t.Errorf("a bad flag: exit %d, stderr %q", code, stderr.String())
	}
}

func TestVersionFlagAndCommandAgree(t *testing.T) {
	old := [3]string{Version, Revision, BuildDate}
	Version, Revision, BuildDate = "v1.4.0", "0123abcd", "2026-12-01T10:00:00Z"
	t.Cleanup(func() { Version, Revision, BuildDate = old[0], old[1], old[2] })
	re := regexp.MustCompile(`^sloagent v1\.4\.0 \(revision 0123abcd, built 2026-12-01T10:00:00Z, go[0-9.]+, [a-z0-9]+/[a-z0-9]+\)\n$`)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var stdout, stderr strings.Builder
		if code := Main(args, &stdout, &stderr); code != exitOK || !re.MatchString(stdout.String()) {
			t.Errorf("%v: exit %d, %q", args, code, stdout.String())
		}
	}
}

// An unknown command is named, followed by the short usage: every way to
// call the agent, each with what it does beside it.
func TestUnknownCommandPrintsTheShortUsage(t *testing.T) {
	var stdout, stderr strings.Builder
	code := Main([]string{"nosuch"}, &stdout, &stderr)
	want := `sloagent: unknown command "nosuch"
usage: sloagent [flags]                 run the agent (see sloagent --help)
       sloagent check-config FILE...   validate config files
       sloagent probe [flags] URL      run one HTTP probe and print its phases
       sloagent once [flags] [PROBE...] run the probes once, push the results, exit 0 if all passed
       sloagent rules [flags]          print Prometheus rules for the config's SLOs
       sloagent review INCIDENT        print the draft of an incident's live-site review (Markdown)
       sloagent review --since=7d      print the report of the period for the operations review
       sloagent slo import|export ...  convert SLOs from and to OpenSLO (and import sloth's specs)
       sloagent service install|uninstall|start|stop|status [--name=N] [-- FLAGS]
                                       run as a Windows service
       sloagent version                print the version
`
	if code != exitUsage || stdout.Len() > 0 || stderr.String() != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout.String(), stderr.String())
	}
}

// Every command is in the short usage (but help, which --help is) and in
// --help's list of commands.
func TestEveryCommandIsListed(t *testing.T) {
	var help, stderr strings.Builder
	Main([]string{"--help"}, &help, &stderr)
	var short strings.Builder
	usage(&short)
	_, commandsPart, _ := strings.Cut(help.String(), "\nCommands:\n")
	for _, c := range commands() {
		if !strings.Contains(commandsPart, "\n  "+c.name) && !strings.HasPrefix(commandsPart, "  "+c.name) {
			t.Errorf("--help does not list %s:\n%s", c.name, commandsPart)
		}
		if c.name != "help" && !strings.Contains(short.String(), "sloagent "+c.name+" ") &&
			!strings.Contains(short.String(), "sloagent "+c.name+"\n") {
			t.Errorf("the short usage does not list %s:\n%s", c.name, short.String())
		}
	}
}
