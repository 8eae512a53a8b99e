package browser

import "strings"

// Process is one process of the running browser as the status page shows
// it: Chromium splits itself into a main process and helpers (renderers,
// the GPU and network services, a zygote), and which of them holds the
// memory tells a leaking page from a heavy service.
type Process struct {
	PID int
	// Type is the helper's --type (renderer, gpu-process, zygote, ...),
	// with a utility's service after it ("utility NetworkService"); the
	// main process is "browser".
	Type string
	// PSSBytes is its proportional set size: pages shared between the
	// processes are split among them, so the figures add up to
	// sloagent_browser_memory_bytes.
	PSSBytes int64
}

// Processes measures the processes of the running browser now, the main
// one first; nil while none runs, and elsewhere than on Linux. It reads
// /proc, so it is for pages people open, not for every scrape.
func (b *Browser) Processes() []Process {
	b.mu.Lock()
	in := b.cur
	ok := in != nil && isReady(in) && in.alive()
	b.mu.Unlock()
	if !ok {
		return nil
	}
	return treeProcesses(in.pid)
}

// processType names a Chromium process from its arguments.
func processType(args []string) string {
	typ, sub := "", ""
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--type="); ok {
			typ = v
		}
		if v, ok := strings.CutPrefix(a, "--utility-sub-type="); ok {
			sub = v[strings.LastIndexByte(v, '.')+1:]
		}
	}
	switch {
	case typ == "":
		return "browser"
	case sub != "":
		return typ + " " + sub
	}
	return typ
}
