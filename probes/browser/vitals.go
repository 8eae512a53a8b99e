package browser

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
)

// vitalsScript runs in every new document before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument) and observes the entries the Web
// Vitals are made of, from the start: event timing entries are only kept
// for observers that were there (the browser's own buffer holds only those
// of 104 ms or more). timingsScript reads them. Observers are notified in
// low-priority tasks that a busy page or a journey that just ended may not
// have run yet, so each entry is handled where it arrives and the reader
// also takes the records still pending.
const vitalsScript = `(() => {
  if (window.__sloagentVitals || typeof PerformanceObserver !== 'function') return;
  const v = window.__sloagentVitals = {lcp: null, fcp: null, cls: 0, inp: null, lastInput: -1, lastInputType: '', lastInputFrame: -1, seen: {}, obs: []};
  const observe = (type, cb, extra) => {
    try {
      const o = new PerformanceObserver(list => list.getEntries().forEach(cb));
      o.observe(Object.assign({type: type, buffered: true}, extra || {}));
      v.obs.push({o: o, cb: cb});
    } catch (e) {}
  };
  observe('largest-contentful-paint', e => { v.lcp = e.renderTime || e.loadTime || e.startTime; });
  observe('paint', e => { if (e.name === 'first-contentful-paint') v.fcp = e.startTime; });
  let session = 0, first = 0, last = 0;
  observe('layout-shift', e => {
    if (e.hadRecentInput) return;
    if (session && e.startTime - last < 1000 && e.startTime - first < 5000) {
      session += e.value;
    } else {
      session = e.value; first = e.startTime;
    }
    last = e.startTime;
    if (session > v.cls) v.cls = session;
  });
  const interaction = e => {
    if (!e.interactionId && e.entryType !== 'first-input') return;
    if (v.inp === null || e.duration > v.inp) v.inp = e.duration;
    if (e.entryType === 'event') v.seen[e.name] = Math.max(v.seen[e.name] || -1, e.startTime);
  };
  observe('event', interaction, {durationThreshold: 16});
  observe('first-input', interaction);
  // When the last input came, and when the first frame after it began.
  // The frame is requested here, so it runs after the input's handlers;
  // the paint its Event Timing entry ends at is presented no earlier.
  for (const t of ['pointerup', 'keyup', 'click']) {
    addEventListener(t, e => {
      if (!e.isTrusted || e.timeStamp < v.lastInput) return;
      const at = e.timeStamp;
      v.lastInput = at; v.lastInputType = e.type; v.lastInputFrame = -1;
      requestAnimationFrame(() => { if (v.lastInput === at) v.lastInputFrame = performance.now(); });
    }, {capture: true, passive: true});
  }
})();`

// timingsScript reads navigation timing and the vitals of the current
// document, in milliseconds since the navigation started, and says whether
// some are still on their way. It waits in the page for them at most the
// first %d milliseconds.
//
// Paint and Event Timing entries are reported only once the frame they end
// at was presented, which a busy machine does late (more than a second
// after the paint was seen). What is certain to come is waited for until
// the caller gives up: the first contentful paint and the largest one of a
// page with text or an image on it (the largest only before an input,
// after which the browser stops reporting it), and the entry of the last
// input when the frame after it began 24 ms or more after it (its duration
// is then above the 16 ms an entry needs). What may never come is waited
// for at most the second %d milliseconds from the first look (the paint of
// a page with nothing on it), or half a second from the input (a quick
// input gets no entry).
const timingsScript = `(async () => {
  const v = window.__sloagentVitals;
  const now = () => performance.now();
  const until = now() + %d, paintWait = %d;
  if (v && v.readFrom === undefined) v.readFrom = now();
  const readFrom = v ? v.readFrom : now();
  const frame = () => new Promise(r => {
    const t = setTimeout(r, 50);
    requestAnimationFrame(() => setTimeout(() => { clearTimeout(t); r(); }, 0));
  });
  const flush = () => { if (v) for (const {o, cb} of v.obs) o.takeRecords().forEach(cb); };
  const painted = () => performance.getEntriesByType('paint').some(e => e.name === 'first-contentful-paint');
  let content = null; // looked at once a look: innerText lays the page out
  const hasContent = () => {
    if (content === null) {
      const b = document.body;
      content = !!b && ((b.innerText || '').trim() !== '' || Array.from(document.images).some(i => i.complete && i.naturalWidth > 0));
    }
    return content;
  };
  const paintPending = () => {
    if (painted() && (!v || v.lcp !== null || v.lastInput >= 0)) return false;
    return hasContent() || now() - readFrom < paintWait;
  };
  // The entry of the last input (a click, a pointerup or a keyup) has its
  // type and time; those of the events before it in the same interaction
  // may come first.
  const inputPending = () => {
    if (!v || v.lastInput < 0 || (v.seen[v.lastInputType] || -1) >= v.lastInput - 1) return false;
    if (v.lastInputFrame < 0 || v.lastInputFrame - v.lastInput >= 24) return true;
    return now() - v.lastInput < 500;
  };
  flush();
  let pending = paintPending() || inputPending();
  while (pending && now() < until) {
    await frame();
    flush();
    pending = paintPending() || inputPending();
  }
  const n = performance.getEntriesByType('navigation')[0];
  const fcpEntry = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const pos = x => (typeof x === 'number' && x > 0) ? x : null;
  return {
    ttfb: n ? pos(n.responseStart) : null,
    dcl: n ? pos(n.domContentLoadedEventEnd) : null,
    load: n ? pos(n.loadEventEnd) : null,
    lcp: v ? pos(v.lcp) : null,
    fcp: pos(fcpEntry ? fcpEntry.startTime : (v && v.fcp)),
    cls: v && typeof v.cls === 'number' ? v.cls : null,
    interactions: typeof performance.interactionCount === 'number' ? performance.interactionCount : (v && v.lastInput >= 0 ? 1 : 0),
    inp: v && typeof v.inp === 'number' ? v.inp : null,
    observed: !!v,
    pending: pending,
  };
})()`

// timings are what timingsScript returns; nil means not measured.
type timings struct {
	TTFB         *float64 `json:"ttfb"`
	DCL          *float64 `json:"dcl"`
	Load         *float64 `json:"load"`
	LCP          *float64 `json:"lcp"`
	FCP          *float64 `json:"fcp"`
	CLS          *float64 `json:"cls"`
	INP          *float64 `json:"inp"`
	Interactions int      `json:"interactions"`
	Observed     bool     `json:"observed"`
	Pending      bool     `json:"pending"`
}

// timingsLook bounds one look at the page's timings. The looks repeat
// while entries are on their way; one that the deadline cuts off loses
// only what came since the look before.
const timingsLook = 250 * time.Millisecond

// collectTimings reads the page's timings, looking again while entries
// are on their way, until shortly before ctx's deadline. It returns the
// last look that completed; an error only when none did.
func collectTimings(ctx context.Context) (timings, error) {
	var last timings
	looked := false
	for {
		look := timingsLook
		dl, ok := ctx.Deadline()
		switch {
		case ok:
			// At most half of what is left, so the answer arrives in time.
			look = min(look, time.Until(dl)/2)
		case looked:
			return last, nil // no deadline to wait until: one look
		}
		if looked && look < 10*time.Millisecond {
			return last, nil
		}
		tm, err := chromedp.Run(ctx, chromedp.Evaluate[timings](
			fmt.Sprintf(timingsScript, max(look, 0).Milliseconds(), vitalsWait.Milliseconds()), chromedp.EvalAwaitPromise))
		if err != nil {
			if looked {
				return last, nil
			}
			return tm, err
		}
		last, looked = tm, true
		if !tm.Pending {
			return tm, nil
		}
	}
}
