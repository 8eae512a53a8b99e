package browser

import (
	"context"
	"fmt"

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
  const v = window.__sloagentVitals = {lcp: null, fcp: null, cls: 0, inp: null, lastInput: -1, lastInputType: '', seen: {}, obs: []};
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
  // When the last input came, so the reader knows whether its entry may
  // still be on its way.
  for (const t of ['pointerup', 'keyup', 'click']) {
    addEventListener(t, e => {
      if (e.isTrusted && e.timeStamp >= v.lastInput) { v.lastInput = e.timeStamp; v.lastInputType = e.type; }
    }, {capture: true, passive: true});
  }
})();`

// timingsScript reads navigation timing and the vitals of the current
// document, in milliseconds since the navigation started. It waits, within
// vitalsWait milliseconds, for the first contentful paint of a page that has
// not painted yet, and for the event timing entry of the last input, which
// the browser reports only after the frame that followed it was presented.
const timingsScript = `(async () => {
  const v = window.__sloagentVitals;
  const deadline = performance.now() + %d;
  const frame = () => new Promise(r => {
    const t = setTimeout(r, 50);
    requestAnimationFrame(() => setTimeout(() => { clearTimeout(t); r(); }, 0));
  });
  const flush = () => { if (v) for (const {o, cb} of v.obs) o.takeRecords().forEach(cb); };
  flush();
  const painted = () => performance.getEntriesByType('paint').some(e => e.name === 'first-contentful-paint');
  // The entry of the last input (a click, a pointerup or a keyup) has its
  // type and time; those of the events before it in the same interaction
  // may come first. An input handled in less than 16 ms gets no entry:
  // after half a second, none is coming.
  const inputPending = () => v && v.lastInput >= 0 && !((v.seen[v.lastInputType] || -1) >= v.lastInput - 1) && performance.now() - v.lastInput < 500;
  while (performance.now() < deadline && (!painted() || inputPending())) {
    await frame();
    flush();
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
}

func collectTimings(ctx context.Context, waitMillis int) (timings, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[timings](fmt.Sprintf(timingsScript, waitMillis), chromedp.EvalAwaitPromise))
}
