//go:build !linux

package proctree

import "fmt"

// keeperSupported: the keeper needs Linux's child subreaper; elsewhere a
// process group (unix) or a job object (Windows) holds the tree.
const keeperSupported = false

// Keeper is only available on Linux; NewKeeper returns one that starts
// processes locally.
type Keeper struct{}

// NewKeeper returns a starter of local processes on this system.
func NewKeeper(Options) *Keeper { return &Keeper{} }

// Start starts s locally: in a process group or a job object of its own.
func (k *Keeper) Start(s Spec) (*Proc, error) { return startLocal(s) }

// Close does nothing here.
func (k *Keeper) Close() error { return nil }

func runKeeper([]string) int {
	fmt.Println("proctree: no keeper on this system")
	return 2
}
