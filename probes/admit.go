package probes

import (
	"context"
	"errors"
)

// An Admitter is a Prober whose runs wait for a shared resource (a slot in
// the agent's one browser). The runner calls Admit before the run's
// deadline starts, so the wait is not charged to the probe's timeout, then
// Probe, then release.
type Admitter interface {
	Admit(ctx context.Context) (release func(), err error)
}

// ErrNoSlot (wrapped) from Admit means no slot freed in time: the run is
// skipped and counted, not a failure of the target.
var ErrNoSlot = errors.New("no free slot")
