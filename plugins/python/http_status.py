#!/usr/bin/python3
"""A sloagent plugin in Python: fetches the target URL and checks its status
code and, optionally, that the body contains a string.

Settings: valid_status_codes (list, default 200-299), body_contains (string).
"""

import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sloagent_plugin import (BODY_MISMATCH, CONFIG, CONNECT, STATUS_CODE,  # noqa: E402
                             TIMEOUT, Metric, Problem, Response, log, serve)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def validate(req):
    """What probe() would refuse, found without fetching anything."""
    s, problems = req.settings, []
    for k in sorted(set(s) - {"valid_status_codes", "body_contains"}):
        problems.append(Problem("unknown setting %r" % k, setting=k))
    codes = s.get("valid_status_codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, int) and 100 <= c <= 599 for c in codes):
        problems.append(Problem("must be a list of status codes (100-599), got %r" % (codes,), setting="valid_status_codes"))
    if not isinstance(s.get("body_contains", ""), str):
        problems.append(Problem("must be a string", setting="body_contains"))
    if not req.target.startswith(("http://", "https://")):
        problems.append(Problem("%r is not an http:// or https:// URL" % req.target, target=True))
    return problems


def probe(req):
    s = req.settings
    problems = validate(req)
    if problems:
        p = problems[0]
        return Response(reason=CONFIG, message="%s: %s" % ("target" if p.target else p.setting or "settings", p.message))
    valid = s.get("valid_status_codes") or list(range(200, 300))
    start = time.monotonic()
    try:
        with _opener.open(req.target, timeout=req.time_left()) as r:
            status, body = r.status, r.read(1 << 20)
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read(1 << 20)
    except (TimeoutError, OSError, urllib.error.URLError) as e:
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
        return Response(reason=TIMEOUT if timed_out else CONNECT, message="GET %s: %s" % (req.target, reason))
    took = time.monotonic() - start
    metrics = [Metric("probe_http_status_code", status, help="Status code of the response.")]
    log.info("fetched", extra={"fields": {"target": req.target, "status": status, "probe": req.probe}})
    if status not in valid:
        return Response(reason=STATUS_CODE, message="status %d not in %s" % (status, valid), metrics=metrics)
    want = s.get("body_contains")
    if want and want.encode() not in body:
        return Response(reason=BODY_MISMATCH, message="body does not contain %r" % want, metrics=metrics)
    return Response(success=True, message="status %d in %.3fs" % (status, took), duration=took, metrics=metrics)


if __name__ == "__main__":
    serve(probe, name="http_status", version="1.0.0", validate=validate,
          description="Fetches a URL and checks its status code and body.",
          settings=[{"name": "valid_status_codes", "description": "acceptable status codes (default 200-299)"},
                    {"name": "body_contains", "description": "a string the body must contain"}])
