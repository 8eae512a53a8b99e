"""Write sloagent probe plugins in Python.

A plugin is a script the agent starts; it calls serve() with a function that
runs one probe:

    from sloagent_plugin import Response, serve

    def probe(req):
        ...
        return Response(success=True, message="fine")

    serve(probe, name="mycheck", version="1.0.0")

serve() does the go-plugin handshake (see plugins/README.md), answers the
gRPC health check and the sloagent.plugin.v1 service, and exits when the
agent goes away. Needs python3-grpcio and python3-protobuf; AutoMTLS also
needs python3-cryptography.
"""

import json
import logging
import os
import sys
import threading
import time
from concurrent import futures

import grpc

from . import plugin_pb2 as pb

__all__ = ["Request", "Response", "Metric", "Problem", "serve"]

MAGIC_COOKIE_KEY = "SLOAGENT_PLUGIN"
MAGIC_COOKIE_VALUE = "a3f1c0de-probe-plugin-v1"
PROTOCOL_VERSION = 1
CORE_PROTOCOL_VERSION = 1

# Shared failure reasons; a plugin may add its own through serve(reasons=...).
TIMEOUT, DNS, CONNECT, TLS = "timeout", "dns", "connect", "tls"
PROTOCOL, ASSERTION, STATUS_CODE = "protocol", "assertion", "status_code"
BODY_MISMATCH, INTERNAL, CANCELED, CONFIG = "body_mismatch", "internal", "canceled", "config"
SHARED_REASONS = (TIMEOUT, DNS, CONNECT, TLS, PROTOCOL, ASSERTION, BODY_MISMATCH, STATUS_CODE,
                  INTERNAL, CANCELED, CONFIG)


class Request:
    """One probe run."""

    def __init__(self, target, probe, settings, deadline):
        self.target = target
        self.probe = probe
        self.settings = settings
        self.deadline = deadline  # time.monotonic() value

    def time_left(self):
        """Seconds left before the run's deadline."""
        return max(0.0, self.deadline - time.monotonic())


class Metric:
    def __init__(self, name, value, labels=None, help=""):
        self.name, self.value, self.labels, self.help = name, value, labels or {}, help


class Response:
    def __init__(self, success=False, reason="", message="", duration=0.0, metrics=None):
        self.success, self.reason, self.message = success, reason, message
        self.duration = duration  # seconds; 0 lets the SDK measure
        self.metrics = metrics or []


class Problem:
    """One thing wrong with a probe's target or settings, from validate():
    setting names the key it is about ("" for the settings as a whole);
    target=True for the target."""

    def __init__(self, message, setting="", target=False):
        self.message, self.setting, self.target = message, setting, target


class _JSONLogHandler(logging.Handler):
    """Writes records the way go-plugin's log lines look, which the agent
    turns into its own log entries at the right level."""

    LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "error"}

    def emit(self, record):
        try:
            line = {"@level": self.LEVELS.get(record.levelname, "info"), "@message": record.getMessage()}
            line.update(getattr(record, "fields", {}))
            sys.stderr.write(json.dumps(line, default=str) + "\n")
            sys.stderr.flush()
        except Exception:  # logging must never break a probe
            pass


class _Capture(logging.Handler):
    """Keeps what one call logs, for a watched run (ProbeRequest.debug):
    the records of the thread that runs the call, at most 100."""

    def __init__(self):
        super().__init__()
        self.thread, self.lines = threading.get_ident(), []

    def emit(self, record):
        if record.thread == self.thread and len(self.lines) < 100:
            self.lines.append(record)


log = logging.getLogger("sloagent_plugin")
log.addHandler(_JSONLogHandler())
log.setLevel(logging.DEBUG)
log.propagate = False


class _Service:
    def __init__(self, probe, info, validate=None):
        self.probe_fn, self.info, self.validate_fn = probe, info, validate

    def validate(self, request, context):
        out = pb.ValidateResponse()
        try:
            settings = json.loads(request.settings_json or b"{}")
            problems = self.validate_fn(Request(request.target, request.probe, settings, time.monotonic() + 10))
        except Exception as e:  # a broken validate says so rather than passing
            log.exception("validate raised")
            problems = [Problem("validate raised %s: %s" % (type(e).__name__, e))]
        for p in problems or ():
            out.problems.add(target=bool(p.target), setting=p.setting or "", message=p.message)
        return out

    def describe(self, request, context):
        return self.info

    def probe(self, request, context):
        timeout = request.timeout_ms / 1000.0 if request.timeout_ms > 0 else context.time_remaining() or 30.0
        start = time.monotonic()
        capture = _Capture() if request.debug else None
        if capture:
            log.addHandler(capture)
        try:
            settings = json.loads(request.settings_json or b"{}")
            resp = self.probe_fn(Request(request.target, request.probe, settings, start + timeout))
        except Exception as e:  # a broken check fails its run, not the plugin
            log.exception("probe raised")
            resp = Response(reason=INTERNAL, message="%s: %s" % (type(e).__name__, e))
        finally:
            if capture:
                log.removeHandler(capture)
        out = pb.ProbeResponse(success=bool(resp.success), reason=resp.reason or "", message=resp.message or "")
        for r in capture.lines if capture else ():
            line = out.logs.add(level=_JSONLogHandler.LEVELS.get(r.levelname, "info"), message=r.getMessage()[:2000])
            for k, v in sorted(getattr(r, "fields", {}).items()):
                line.fields.add(name=str(k), value=str(v)[:2000])
        out.duration_ns = int((resp.duration or (time.monotonic() - start)) * 1e9)
        for m in resp.metrics:
            pm = out.metrics.add(name=m.name, help=m.help, value=float(m.value))
            for k, v in sorted(m.labels.items()):
                pm.labels.add(name=k, value=str(v))
        return out


def _unary(fn, req, resp):
    return grpc.unary_unary_rpc_method_handler(
        fn, request_deserializer=req.FromString, response_serializer=resp.SerializeToString)


def _health_check(request, context):
    return b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}


def _watch_parent(parent):
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            log.info("agent went away, exiting")
            os._exit(0)


def _hand_run_help(name, version, description, settings):
    """Tells someone who ran the plugin by hand how the agent runs it."""
    key = name.lower() or "myplugin"
    out = ["This is a sloagent plugin (%s%s): the agent starts it, it is not run by hand.\n"
           % (name, " " + version if version else "")]
    if description:
        out.append(description + "\n")
    out.append("Declare it in the agent's config and use it from probes of kind plugin:\n\n")
    out.append("  plugins:\n    - name: %s\n      command: %s\n      auto_mtls: true   # needs python3-cryptography; or false\n"
               % (key, os.path.abspath(sys.argv[0])))
    out.append("  probes:\n    - name: example\n      kind: plugin\n      target: ...\n"
               "      plugin:\n        name: %s\n" % key)
    if settings:
        out.append("        settings:\n")
        for s in settings:
            s = s if isinstance(s, dict) else {"name": s}
            out.append("          %s: ...   # %s%s\n" % (s["name"], s.get("description", ""),
                                                    " (required)" if s.get("required") else ""))
    out.append("\nThen check it with: sloagent check-config AGENT.yml\n")
    return "".join(out)


def serve(probe, name, version="", description="", settings=(), reasons=(), workers=16, validate=None):
    """Serves probe until the agent stops the plugin. Does not return.

    validate, if given, is called by `sloagent check-config` with a Request
    for each probe and returns a list of Problem: what probe would refuse
    (a bad setting, a bad target), found without probing."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(_hand_run_help(name, version, description, settings))
        sys.exit(1)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")
    if str(PROTOCOL_VERSION) not in versions:
        sys.stderr.write("agent speaks plugin protocol versions %s, this plugin %d\n" % (versions, PROTOCOL_VERSION))
        sys.exit(1)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    info = pb.DescribeResponse(name=name, version=version, description=description, reasons=list(reasons))
    for s in settings:
        info.settings.add(**s) if isinstance(s, dict) else info.settings.add(name=s)
    svc = _Service(probe, info, validate)
    methods = {
        "Describe": _unary(svc.describe, pb.DescribeRequest, pb.DescribeResponse),
        "Probe": _unary(svc.probe, pb.ProbeRequest, pb.ProbeResponse),
    }
    if validate is not None:  # without it the agent gets UNIMPLEMENTED, as from older plugins
        methods["Validate"] = _unary(svc.validate, pb.ValidateRequest, pb.ValidateResponse)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("sloagent.plugin.v1.Plugin", methods),
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
            "Check": grpc.unary_unary_rpc_method_handler(_health_check),
        }),
    ))
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    if client_cert:
        from . import mtls  # only when asked: it needs python3-cryptography
        creds, server_cert = mtls.server_credentials(client_cert)
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port, server_cert = server.add_insecure_port("127.0.0.1:0"), ""
    server.start()
    # The handshake line; nothing may be printed to stdout before it.
    line = "%d|%d|tcp|127.0.0.1:%d|grpc" % (CORE_PROTOCOL_VERSION, PROTOCOL_VERSION, port)
    if server_cert:
        line += "|" + server_cert
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    server.wait_for_termination()
    sys.exit(0)
