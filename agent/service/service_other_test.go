//go:build !windows

package service

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestUnsupportedOutsideWindows(t *testing.T) {
	ran := false
	errs := map[string]error{
		"Install":   Install("sloagent", "/usr/local/bin/sloagent", nil),
		"Uninstall": Uninstall("sloagent"),
		"Start":     Start("sloagent"),
		"Stop":      Stop("sloagent"),
		"Run":       Run("sloagent", func(context.Context) error { ran = true; return nil }),
	}
	_, errs["Status"] = Status("sloagent")
	_, errs["CurrentName"] = CurrentName()
	_, _, errs["NewEventLogHandler"] = NewEventLogHandler("sloagent", nil)
	for fn, err := range errs {
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: error %v, want ErrUnsupported", fn, err)
		}
	}
	if ran {
		t.Error("Run called the agent outside Windows")
	}
	if ok, err := IsService(); ok || err != nil {
		t.Errorf("IsService() = %v, %v; want false, nil", ok, err)
	}
}

func TestCommandOutsideWindows(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Command([]string{"install", "--", "--config.file=agent.yml"}, &out, &errOut); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "only available on Windows; on Linux use systemd") {
		t.Errorf("stderr %q does not point to systemd", errOut.String())
	}
}
