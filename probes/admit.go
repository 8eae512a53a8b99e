package probes

import (
	"context"
	"errors"
)

// Admitter is implemented by probers whose runs need a slot of a shared
// resource (a browser) before they start. The agent calls Admit before the
// run's deadline starts, so that waiting for the slot is not charged to the
// probe's timeout; release gives the slot back after the run.
type Admitter interface {
	Admit(ctx context.Context) (release func(), err error)
}

// ErrNoSlot is returned (wrapped) by Admit when no slot freed in time: the
// run is skipped and counted, not failed, as the target was never tried.
var ErrNoSlot = errors.New("no free slot")
