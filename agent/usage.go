package agent

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseFlags parses args as Prometheus' exporters do: --help prints the
// help to stdout and exits 0, a bad flag says so on stderr and exits 2.
// It reports whether the command is done and with which code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, about string) (done bool, code int) {
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		writeHelp(stdout, fs, about)
		return true, exitOK
	case err != nil:
		fmt.Fprintf(stderr, "%s: try --help\n", fs.Name())
		return true, exitUsage
	}
	return false, exitOK
}

// writeHelp writes the help in the layout of kingpin, the command line
// library of Prometheus and its exporters, so it reads like theirs: flags
// with their defaults in a column, help text beside them.
func writeHelp(w io.Writer, fs *flag.FlagSet, about string) {
	fmt.Fprintf(w, "usage: %s [<flags>]", fs.Name())
	if fs.Name() == "sloagent" {
		fmt.Fprint(w, " [<command> [<args> ...]]")
	}
	fmt.Fprint(w, "\n\n")
	wrap(w, about, "")
	fmt.Fprint(w, "\nFlags:\n")
	rows := [][2]string{{"  -h, --help", "Show context-sensitive help."}}
	fs.VisitAll(func(f *flag.Flag) {
		left := "      --" + f.Name
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool {
			switch {
			case f.DefValue != "":
				left += "=" + fmt.Sprintf("%q", f.DefValue)
			default:
				left += "=" + strings.ToUpper(f.Name[strings.LastIndex(f.Name, ".")+1:])
			}
		}
		rows = append(rows, [2]string{left, f.Usage})
	})
	twoColumns(w, rows)
	if fs.Name() == "sloagent" {
		fmt.Fprint(w, "\nCommands:\n")
		for _, c := range commands() {
			for _, s := range c.help {
				fmt.Fprintf(w, "  %s\n", s.args)
				wrap(w, s.what, "    ")
				fmt.Fprintln(w)
			}
		}
	}
}

const (
	helpWidth   = 100
	maxLeftCols = 32
)

func twoColumns(w io.Writer, rows [][2]string) {
	col := 0
	for _, r := range rows {
		if n := len(r[0]) + 2; n > col && n <= maxLeftCols {
			col = n
		}
	}
	indent := strings.Repeat(" ", col)
	for _, r := range rows {
		if len(r[0])+2 > col {
			fmt.Fprintf(w, "%s\n", r[0])
			wrap(w, r[1], indent)
			continue
		}
		var b strings.Builder
		wrap(&b, r[1], indent)
		fmt.Fprint(w, r[0]+strings.Repeat(" ", col-len(r[0]))+strings.TrimPrefix(b.String(), indent))
	}
}

// wrap writes text in lines of at most helpWidth columns, each indented.
func wrap(w io.Writer, text, indent string) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > helpWidth {
			fmt.Fprintln(w, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}
