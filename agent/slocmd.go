package agent

import (
	"fmt"
	"io"
	"os"

	"github.com/sloagent/sloagent/agent/config"
	"github.com/sloagent/sloagent/internal/conf"
	"github.com/sloagent/sloagent/slo"
	"github.com/sloagent/sloagent/slo/formats"
)

// sloCmd converts SLOs between the config's slos: list and other tools'
// formats: `slo import FILE...` reads OpenSLO v1 or sloth specs and prints
// a slos: list; `slo export --format openslo` prints the config's SLOs as
// OpenSLO. What does not carry over is named on stderr.
func sloCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "import" && args[0] != "export" {
		fmt.Fprintln(stderr, "usage: sloagent slo import [--output FILE] FILE...\n       sloagent slo export --format openslo --config.file FILE")
		return exitUsage
	}
	verb := args[0]
	fs := newFlagSet("sloagent slo "+verb, stderr)
	var output, configFile, format string
	about := "Read OpenSLO v1 documents (SLO, SLI, AlertPolicy, AlertCondition) or sloth prometheus/v1 specs and print them as a slos: list; what does not carry over is named on stderr."
	if verb == "import" {
		fs.StringVar(&output, "output", "", "Write the slos: list to this file instead of stdout.")
	} else {
		about = "Print the config's SLOs as OpenSLO v1 documents; what OpenSLO has no field for is kept in sloagent.io/ annotations and named on stderr."
		fs.StringVar(&configFile, "config.file", "", "Config whose SLOs to export (required).")
		fs.StringVar(&format, "format", "openslo", "Output format: openslo.")
	}
	if done, code := parseFlags(fs, args[1:], stdout, stderr, about); done {
		return code
	}
	if verb == "import" {
		return sloImport(fs.Args(), output, stdout, stderr)
	}
	if format != "openslo" {
		return fail(stderr, "sloagent slo export", exitUsage, fmt.Sprintf("--format: %q is not openslo", format))
	}
	if configFile == "" || fs.NArg() > 0 {
		return fail(stderr, "sloagent slo export", exitUsage, "--config.file is required, and no other argument")
	}
	cfg, err := config.LoadFile(configFile, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	out, ws, err := formats.ExportOpenSLO(cfg.SLOs)
	if err != nil {
		return fail(stderr, "sloagent slo export", exitFailed, err)
	}
	for _, w := range ws {
		fmt.Fprintln(stderr, "warning:", w)
	}
	_, _ = stdout.Write(out)
	return exitOK
}

func sloImport(files []string, output string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: sloagent slo import [--output FILE] FILE...")
		return exitUsage
	}
	var all []slo.Config
	for _, file := range files {
		data, err := conf.ReadFile(file)
		if err != nil {
			return fail(stderr, "sloagent slo import", exitFailed, err)
		}
		cfgs, ws, err := formats.Import(file, data)
		for _, w := range ws {
			fmt.Fprintln(stderr, "warning:", w)
		}
		if err != nil {
			return fail(stderr, "sloagent slo import", exitFailed, err)
		}
		all = append(all, cfgs...)
	}
	if err := formats.Validate(all); err != nil {
		return fail(stderr, "sloagent slo import", exitFailed, "the files' SLOs together:", err)
	}
	out, err := formats.Marshal(all)
	if err != nil {
		return fail(stderr, "sloagent slo import", exitFailed, err)
	}
	if output == "" {
		_, _ = stdout.Write(out)
		return exitOK
	}
	if err := os.WriteFile(output, out, 0o644); err != nil {
		return fail(stderr, "sloagent slo import", exitFailed, err)
	}
	return exitOK
}
