//go:build !windows

package service

import (
	"context"
	"errors"
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
