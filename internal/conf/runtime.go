package conf

import (
	"fmt"
	"os"
)

// RunTimeInput is a value a probe reads at each run rather than when the
// config is loaded (a browser step's text_env or text_file), so that a
// rotated secret is picked up without a reload. The agent that will run the
// config wants it present now, and reports its absence as an error; a
// machine that only checks a config or generates rules from it need not
// hold the secrets, and reports it as a warning.
type RunTimeInput struct {
	// Field is where the input is named, relative to the report it goes
	// to, such as steps[2].type.text_env.
	Field string
	// Env names an environment variable, File a file; one is set.
	Env, File string
}

// Missing returns why the input cannot be read now, or nil.
func (in RunTimeInput) Missing() error {
	switch {
	case in.Env != "":
		if _, ok := os.LookupEnv(in.Env); !ok {
			return fmt.Errorf("environment variable %s is not set", in.Env)
		}
	case in.File != "":
		if _, err := os.Stat(in.File); err != nil {
			return err
		}
	}
	return nil
}

// CheckRunTime records a problem in r for every input of ins that cannot
// be read now. Pass the report of errors to refuse such a config, or one of
// warnings to only say so.
func CheckRunTime(r Report, ins []RunTimeInput) {
	for _, in := range ins {
		if err := in.Missing(); err != nil {
			r.Errorf(in.Field, "%v (read at each run)", err)
		}
	}
}
