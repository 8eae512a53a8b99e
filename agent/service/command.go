package service

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultName is the service name when --name is not given.
const DefaultName = "sloagent"

// pathFlags are the agent's flags that name files or directories; a service
// starts in the system directory, so relative values are made absolute at
// install time, where the user meant them.
var pathFlags = []string{"config.file", "storage.path", "web.config.file"}

// Command runs `sloagent service install|uninstall|start|stop|status` with
// args (after "service") and returns the exit code: 0 on success, 1 when
// the service manager refused, 2 on a usage error.
//
// install registers the running executable as the service; arguments after
// "--" are the agent's flags the service runs with, for example
//
//	sloagent service install -- --config.file=agent.yml --web.listen-address=:9470
//
// Relative paths in --config.file, --storage.path and --web.config.file are
// made absolute, and --storage.path defaults to %ProgramData%\sloagent
// (the working directory of a service is the system directory).
func Command(args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprint(stderr, `usage: sloagent service install [--name=NAME] [-- AGENT FLAGS...]
       sloagent service uninstall|start|stop|status [--name=NAME]
`)
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	sub := args[0]
	fs := flag.NewFlagSet("service "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", DefaultName, "Name of the Windows service.")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if sub != "install" && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sloagent service %s: unexpected argument %q\n", sub, fs.Arg(0))
		return 2
	}
	var err error
	switch sub {
	case "install":
		var exe string
		if exe, err = os.Executable(); err == nil {
			agentArgs := serviceArgs(fs.Args(), filepath.Join(programData(), "sloagent"))
			if err = Install(*name, exe, agentArgs); err == nil {
				fmt.Fprintf(stdout, "installed service %s: %s %s\n", *name, exe, strings.Join(agentArgs, " "))
			}
		}
	case "uninstall":
		if err = Uninstall(*name); err == nil {
			fmt.Fprintf(stdout, "removed service %s\n", *name)
		}
	case "start":
		if err = Start(*name); err == nil {
			fmt.Fprintf(stdout, "started service %s\n", *name)
		}
	case "stop":
		if err = Stop(*name); err == nil {
			fmt.Fprintf(stdout, "stopped service %s\n", *name)
		}
	case "status":
		var st string
		if st, err = Status(*name); err == nil {
			fmt.Fprintf(stdout, "%s\n", st)
		}
	default:
		fmt.Fprintf(stderr, "sloagent service: unknown command %q\n", sub)
		return usage()
	}
	if errors.Is(err, ErrUnsupported) {
		fmt.Fprintln(stderr, "sloagent service: Windows services are only available on Windows; on Linux use systemd (configs/deploy/sloagent.service)")
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "sloagent", err)
		return 1
	}
	return 0
}

// serviceArgs makes the path flags among args absolute and adds
// --storage.path=stateDir when none is given.
func serviceArgs(args []string, stateDir string) []string {
	out := make([]string, 0, len(args)+1)
	hasState := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		isPath := strings.HasPrefix(a, "-") && slices.Contains(pathFlags, name)
		if isPath && name == "storage.path" {
			hasState = true
		}
		switch {
		case isPath && hasValue:
			out = append(out, a[:len(a)-len(value)]+absolute(value))
		case isPath && i+1 < len(args):
			out = append(out, a, absolute(args[i+1]))
			i++
		default:
			out = append(out, a)
		}
	}
	if !hasState {
		out = append(out, "--storage.path="+stateDir)
	}
	return out
}

func absolute(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func programData() string {
	if d := os.Getenv("ProgramData"); d != "" {
		return d
	}
	return `C:\ProgramData`
}
