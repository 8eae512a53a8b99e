package browser

import (
	"context"

	"github.com/chromedp/chromedp"
)

// vitalsScript runs in every new document before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument) and keeps the page's Web Vitals in
// window.__sloagentVitals, where collectTimings reads them. It follows the
// definitions of web.dev: LCP is the last largest-contentful-paint entry
// before input; CLS the largest session window of layout shifts without
// recent input (gaps under 1 s, windows under 5 s); INP the longest
// interaction (event timing entries with an interactionId), which is the
// 98th percentile for the few interactions of a scripted journey.
const vitalsScript = `(() => {
  if (window.__sloagentVitals || typeof PerformanceObserver !== 'function') return;
  const v = window.__sloagentVitals = {lcp: null, fcp: null, cls: 0, inp: null, interactions: 0};
  const observe = (type, cb, extra) => {
    try {
      new PerformanceObserver(list => list.getEntries().forEach(cb))
        .observe(Object.assign({type: type, buffered: true}, extra || {}));
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
  const seen = new Set();
  const interaction = e => {
    if (!e.interactionId) return;
    if (!seen.has(e.interactionId)) { seen.add(e.interactionId); v.interactions = seen.size; }
    if (v.inp === null || e.duration > v.inp) v.inp = e.duration;
  };
  observe('event', interaction, {durationThreshold: 16});
  observe('first-input', interaction);
})();`

// timingsScript reads navigation timing and the vitals of the current
// document, in milliseconds since the navigation started.
const timingsScript = `(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const v = window.__sloagentVitals || {};
  const pos = x => (typeof x === 'number' && x > 0) ? x : null;
  return {
    ttfb: n ? pos(n.responseStart) : null,
    dcl: n ? pos(n.domContentLoadedEventEnd) : null,
    load: n ? pos(n.loadEventEnd) : null,
    lcp: pos(v.lcp), fcp: pos(v.fcp),
    cls: typeof v.cls === 'number' ? v.cls : null,
    inp: v.interactions > 0 && typeof v.inp === 'number' ? v.inp : null,
  };
})()`

// timings are what timingsScript returns; nil means not measured.
type timings struct {
	TTFB *float64 `json:"ttfb"`
	DCL  *float64 `json:"dcl"`
	Load *float64 `json:"load"`
	LCP  *float64 `json:"lcp"`
	FCP  *float64 `json:"fcp"`
	CLS  *float64 `json:"cls"`
	INP  *float64 `json:"inp"`
}

func collectTimings(ctx context.Context) (timings, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[timings](timingsScript))
}
