"""Plugin: the Python counterpart of sdk.Serve for method providers and
fee estimators.

It speaks what amberd expects of a plugin process: go-plugin's handshake
(magic cookie, protocol version, the stdout line), AutoMTLS, the health,
controller, broker and stdio services, Amber's Plugin, MethodProvider and
FeeEstimator services, the host services over the broker, and the SDK's
error kinds."""

import datetime
import json
import math
import os
import queue
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
from concurrent import futures

import grpc

from . import protos, wire
from .errors import (AmberError, KIND_INVALID_ARGUMENT, KIND_UNAVAILABLE, KIND_UNIMPLEMENTED, KIND_INTERNAL,
                     status_for)
from .host import Broker, dial
from .tls import Identity

MAGIC_COOKIE_KEY = "AMBER_PLUGIN_MAGIC_COOKIE"  # sdk.MagicCookieKey
MAGIC_COOKIE_VALUE = "0310af728e4ca129b3a5eb37d08b8ef0e0ea160aec1b7db70d1ebfddd63853c2"
CORE_PROTOCOL_VERSION = 1  # go-plugin's
PROTOCOL_VERSION = 1  # sdk.ProtocolVersion
SDK_VERSION = "1.0.0"  # the Go SDK release whose contract this package follows
MAX_MESSAGE_SIZE = 64 << 20  # sdk.MaxMessageSize
CAP_METHOD_PROVIDER = "method-provider"  # sdk.CapMethodProvider
CAP_FEE_ESTIMATOR = "fee-estimator"  # sdk.CapFeeEstimator
BROKER_WAIT = 10  # seconds Configure waits for amberd's broker offer

_NAME_RE = re.compile(r"^[^\s.][^\s]*\.[^\s]*[^\s.]$")
_PROTO_RE = re.compile(r"^\d+(\.\d+){1,2}$")


def log(level, message, **fields):
    """One hclog JSON line on stderr; amberd re-emits it at that level with
    the plugin's name."""
    entry = {"@level": level, "@message": message,
             "@timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    entry.update(fields)
    sys.__stderr__.write(json.dumps(entry, default=str) + "\n")
    sys.__stderr__.flush()


class MethodSpec:
    """sdk.MethodSpec: the same fields and the same rules (Validate)."""

    def __init__(self, name, min_args=0, max_args=None, param_names=(), cost=0.0, min_protocol=""):
        self.name = name
        self.min_args = min_args
        self.max_args = min_args if max_args is None else max_args
        self.param_names = list(param_names)
        self.cost = float(cost)
        self.min_protocol = min_protocol
        problems = []
        if not isinstance(name, str) or not _NAME_RE.match(name):
            problems.append("method name %r must be namespaced with a dot, without spaces" % (name,))
        if not 0 <= self.min_args <= self.max_args:
            problems.append("want 0 <= min_args (%d) <= max_args (%d)" % (self.min_args, self.max_args))
        if self.param_names and (len(self.param_names) != self.max_args or len(set(self.param_names)) != len(
                self.param_names) or not all(self.param_names)):
            problems.append("param_names must be max_args distinct non-empty names")
        if not self.cost >= 0 or self.cost == float("inf"):
            problems.append("cost must be a finite number >= 0")
        if min_protocol and not _PROTO_RE.match(min_protocol):
            problems.append("min_protocol %r is not a version like 1.4" % (min_protocol,))
        if problems:
            raise ValueError("method %r: %s" % (name, "; ".join(problems)))


class Call:
    """What a method handler gets besides its parameters."""

    def __init__(self, plugin, method, session, context):
        self.plugin = plugin
        self.method = method
        self.session = session  # {"id", "protocol", "remote_addr"}
        self.context = context

    @property
    def host(self):
        """amberd's host services (HostClient); AmberError(KIND_UNAVAILABLE)
        when amberd offered none."""
        if self.plugin.host is None:
            raise AmberError(KIND_UNAVAILABLE, "amberd offered no host services")
        return self.plugin.host

    def time_remaining(self):
        """Seconds until amberd's request timeout (None: no deadline)."""
        return self.context.time_remaining()


class _StdioWriter:
    """sys.stdout after the handshake: text goes to amberd over
    plugin.GRPCStdio while amberd listens, to stderr otherwise."""

    def __init__(self, q):
        self._q = q
        self.listening = False

    def write(self, s):
        if self.listening:
            self._q.put(s.encode("utf-8", "replace"))
        else:
            sys.__stderr__.write(s)
        return len(s)

    def flush(self):
        pass


class Plugin:
    """A method-provider and/or fee-estimator plugin. Register methods with
    @plugin.method(...), the fee-estimator role with @plugin.fee_rate and
    @plugin.min_relay_fee (both), optionally a configure hook with
    @plugin.configure, then call plugin.serve() first thing in the program
    (it returns the exit code)."""

    def __init__(self, name, version):
        self.name, self.version = name, version
        self.host = None  # HostClient once amberd offers host services
        self._methods = {}
        self._configure = None
        self._fee_rate = None
        self._min_relay_fee = None
        self._broker = Broker()
        self._pb = None
        self._identity = None
        self._host_pem = None
        self._stdio = queue.Queue()
        self._done = threading.Event()

    def method(self, name, min_args=0, max_args=None, param_names=(), cost=0.0, min_protocol=""):
        """Register fn(call, *params) as a method; the spec fields are
        sdk.MethodSpec's. fn returns any JSON-serialisable value or raises
        AmberError."""
        spec = MethodSpec(name, min_args, max_args, param_names, cost, min_protocol)
        if name in self._methods:
            raise ValueError("method %r registered twice" % name)

        def register(fn):
            self._methods[name] = (spec, fn)
            return fn
        return register

    def configure(self, fn):
        """Register fn(config dict) as the configure hook (plugins.<name>.config);
        it raises AmberError(KIND_INVALID_ARGUMENT, "...") to refuse a value."""
        self._configure = fn
        return fn

    def fee_rate(self, fn):
        """Register fn(call, blocks, mode) as the fee-estimator role's
        FeeRate (sdk.FeeEstimator): the fee rate in coin units per kB for
        confirmation within blocks (an int >= 0; amberd's own checks come
        first), or -1 when there is no estimate. mode is "",
        "CONSERVATIVE" or "ECONOMICAL". With @plugin.min_relay_fee it makes
        the plugin a fee estimator: Describe lists "fee-estimator" and
        amberd answers blockchain.estimatefee through it."""
        self._fee_rate = fn
        return fn

    def min_relay_fee(self, fn):
        """Register fn(call) as the fee-estimator role's MinRelayFee: the
        minimum relay fee in coin units per kB (blockchain.relayfee)."""
        self._min_relay_fee = fn
        return fn

    def capabilities(self):
        """The role capabilities Describe lists: "fee-estimator" when both
        fee handlers are registered, "method-provider" when methods are
        (or when the plugin has no other role, as before the fee role)."""
        fees = self._fee_rate is not None and self._min_relay_fee is not None
        caps = []
        if self._methods or not fees:
            caps.append(CAP_METHOD_PROVIDER)
        if fees:
            caps.append(CAP_FEE_ESTIMATOR)
        return caps

    def check(self):
        """Raise ValueError when the registrations are incomplete (one fee
        handler without the other); serve() refuses to start then."""
        if (self._fee_rate is None) != (self._min_relay_fee is None):
            missing = "min_relay_fee" if self._min_relay_fee is None else "fee_rate"
            raise ValueError("%s: the fee-estimator role needs both @plugin.fee_rate and @plugin.min_relay_fee; "
                             "%s is missing" % (self.name, missing))

    # -- the services --------------------------------------------------

    def _abort(self, context, err):
        context.abort_with_status(status_for(err, self._pb[2]))

    def _describe(self, request, context):
        return self._pb[0].DescribeResponse(name=self.name, version=self.version, sdk_version=SDK_VERSION,
                                            capabilities=self.capabilities())

    def _do_configure(self, request, context):
        plugin_pb2 = self._pb[0]
        try:
            raw = bytes(request.config_json).strip() or b"{}"
            try:
                config = json.loads(raw)
            except ValueError:
                config = None
            if not isinstance(config, dict):
                raise AmberError(KIND_INVALID_ARGUMENT, "%s config: not a JSON object" % self.name)
            if request.broker_id and self.host is None:
                info = self._broker.wait(request.broker_id, BROKER_WAIT)
                self.host = dial(info, self._identity, self._host_pem, _PB(self._pb))
            if self._configure is not None:
                self._configure(config)
            elif config:
                raise AmberError(KIND_INVALID_ARGUMENT, "%s config: %s: unknown key" % (self.name, sorted(config)[0]))
        except AmberError as e:
            self._abort(context, e)
        return plugin_pb2.ConfigureResponse()

    def _shutdown(self, request, context):
        return self._pb[0].ShutdownResponse()

    def _list_methods(self, request, context):
        method_pb2 = self._pb[1]
        return method_pb2.MethodListResponse(methods=[method_pb2.MethodSpec(
            name=s.name, min_args=s.min_args, max_args=s.max_args, param_names=s.param_names, cost=s.cost,
            min_protocol=s.min_protocol) for s, _ in self._methods.values()])

    def _call_method(self, request, context):
        entry = self._methods.get(request.method)
        try:
            if entry is None:
                raise AmberError(KIND_UNIMPLEMENTED, "unknown method %s" % request.method)
            spec, fn = entry
            try:
                params = json.loads(bytes(request.params_json) or b"[]")
            except ValueError:
                params = None
            if not isinstance(params, list):
                raise AmberError(KIND_INVALID_ARGUMENT, "params must be a JSON array")
            session = {"id": request.session.id, "protocol": request.session.protocol,
                       "remote_addr": request.session.remote_addr}
            result = fn(Call(self, request.method, session, context), *params)
            out = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except AmberError as e:
            self._abort(context, e)
        except Exception as e:  # a bug in the handler: KIND_INTERNAL, the plugin keeps running
            log("error", "method %s failed" % request.method, error=repr(e), traceback=traceback.format_exc())
            self._abort(context, AmberError(KIND_INTERNAL, "%s: %s" % (type(e).__name__, e)))
        return self._pb[1].MethodCallResponse(result_json=out)

    def _fee_call(self, rpc, context, fn, *args):
        """Run a fee handler: the rate it returns, or the call aborted
        with the error's kind (KIND_INTERNAL for any other exception or a
        value that is not a finite number)."""
        try:
            if fn is None:
                raise AmberError(KIND_UNIMPLEMENTED, "plugin does not implement %s" % rpc)
            rate = fn(Call(self, rpc, {}, context), *args)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate):
                raise TypeError("%s returned %r, want a finite number" % (rpc, rate))
            return float(rate)
        except AmberError as e:
            self._abort(context, e)
        except Exception as e:  # a bug in the handler: KIND_INTERNAL, the plugin keeps running
            log("error", "%s failed" % rpc, error=repr(e), traceback=traceback.format_exc())
            self._abort(context, AmberError(KIND_INTERNAL, "%s: %s" % (type(e).__name__, e)))

    def _estimate_fee(self, request, context):
        if request.blocks < 0:
            self._abort(context, AmberError(KIND_INVALID_ARGUMENT, "blocks %d: want a non-negative confirmation "
                                                                  "target" % request.blocks))
        fee = self._fee_call("EstimateFee", context, self._fee_rate, int(request.blocks), request.mode)
        return self._pb[4].EstimateFeeResponse(fee=fee)

    def _relay_fee(self, request, context):
        fee = self._fee_call("RelayFee", context, self._min_relay_fee)
        return self._pb[4].RelayFeeResponse(fee=fee)

    def _handlers(self):
        plugin_pb2, method_pb2 = self._pb[0], self._pb[1]

        def unary(fn, request_type):
            return grpc.unary_unary_rpc_method_handler(
                fn, request_deserializer=request_type.FromString, response_serializer=lambda m: m.SerializeToString())

        def raw_unary(fn):
            return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=None, response_serializer=None)

        def health_check(request, context):
            return wire.field_varint(1, 1)  # HealthCheckResponse{status: SERVING}

        def controller_shutdown(request, context):
            self._done.set()
            return b""

        def broker_stream(request_iterator, context):
            for raw in request_iterator:  # amberd's connection offers
                try:
                    info = wire.decode_conn_info(raw)
                except ValueError as e:
                    log("warn", "malformed broker message", error=str(e))
                    continue
                self._broker.offer(info)
            return
            yield  # a stream that sends nothing

        def stdio_stream(request, context):
            sys.stdout.listening = True
            try:
                while context.is_active() and not self._done.is_set():
                    try:
                        data = self._stdio.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    yield wire.encode_stdio(wire.STDIO_STDOUT, data)
            finally:
                sys.stdout.listening = False

        return [
            grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": raw_unary(health_check)}),
            grpc.method_handlers_generic_handler("plugin.GRPCController",
                                                 {"Shutdown": raw_unary(controller_shutdown)}),
            grpc.method_handlers_generic_handler("plugin.GRPCBroker", {"StartStream": grpc.stream_stream_rpc_method_handler(
                broker_stream, request_deserializer=None, response_serializer=None)}),
            grpc.method_handlers_generic_handler("plugin.GRPCStdio", {"StreamStdio": grpc.unary_stream_rpc_method_handler(
                stdio_stream, request_deserializer=None, response_serializer=None)}),
            grpc.method_handlers_generic_handler("amber.plugin.v1.Plugin", {
                "Describe": unary(self._describe, plugin_pb2.DescribeRequest),
                "Configure": unary(self._do_configure, plugin_pb2.ConfigureRequest),
                "Shutdown": unary(self._shutdown, plugin_pb2.ShutdownRequest),
            }),
            grpc.method_handlers_generic_handler("amber.plugin.v1.MethodProvider", {
                "ListMethods": unary(self._list_methods, method_pb2.MethodListRequest),
                "CallMethod": unary(self._call_method, method_pb2.MethodCallRequest),
            }),
            grpc.method_handlers_generic_handler("amber.plugin.v1.FeeEstimator", {
                "EstimateFee": unary(self._estimate_fee, self._pb[4].EstimateFeeRequest),
                "RelayFee": unary(self._relay_fee, self._pb[4].RelayFeeRequest),
            }),
        ]

    # -- the process ---------------------------------------------------

    def serve(self):
        """Run the plugin until amberd stops it; return the exit code."""
        got = os.environ.get(MAGIC_COOKIE_KEY)
        if got != MAGIC_COOKIE_VALUE:
            # go-plugin's text (amberd recognises it) and the cookie this
            # plugin expects, which amberd quotes in its refusal.
            sys.stderr.write("This binary is a plugin. These are not meant to be executed directly.\n"
                             "Please execute the program that consumes these plugins, which will\n"
                             "load any plugins automatically\n")
            if got is not None:
                sys.stderr.write("magic cookie mismatch: this plugin expects %s=%s\n" % (MAGIC_COOKIE_KEY,
                                                                                        MAGIC_COOKIE_VALUE))
            return 1
        offered = [v.strip() for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")]
        if str(PROTOCOL_VERSION) not in offered:
            log("error", "incompatible plugin protocol: amberd offers %s, this plugin speaks %d"
                % (",".join(offered), PROTOCOL_VERSION))
            return 1
        try:
            self.check()
        except ValueError as e:
            log("error", str(e))
            return 1
        self._host_pem = os.environ.get("PLUGIN_CLIENT_CERT", "").encode()
        if not self._host_pem:
            log("error", "PLUGIN_CLIENT_CERT is not set: Amber plugins run under go-plugin's AutoMTLS")
            return 1
        try:
            self._pb = protos.load()
        except Exception as e:
            log("error", "cannot load the protobuf modules: %s" % e)
            return 1

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as go-plugin: amberd decides when we stop
        self._identity = Identity()
        creds = grpc.ssl_server_credentials([(self._identity.key_pem, self._identity.cert_pem)],
                                            root_certificates=self._host_pem, require_client_auth=True)
        sock_dir = tempfile.mkdtemp(prefix="plugin", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
        sock = os.path.join(sock_dir, "plugin.sock")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_SIZE),
            ("grpc.max_send_message_length", MAX_MESSAGE_SIZE)])
        server.add_generic_rpc_handlers(self._handlers())
        server.add_secure_port("unix:" + sock, creds)
        server.start()
        signal.signal(signal.SIGTERM, lambda *_: self._done.set())
        threading.Thread(target=self._watch_parent, daemon=True).start()

        line = "%d|%d|unix|%s|grpc|%s" % (CORE_PROTOCOL_VERSION, PROTOCOL_VERSION, sock,
                                          self._identity.handshake_field())
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        sys.stdout = _StdioWriter(self._stdio)  # nothing else may reach the handshake reader
        log("debug", "plugin address", network="unix", address=sock)

        self._done.wait()
        server.stop(grace=2).wait()
        if self.host is not None:
            self.host.close()
        try:
            os.unlink(sock)
            os.rmdir(sock_dir)
        except OSError:
            pass
        return 0

    def _watch_parent(self):
        """Exit when amberd goes away (the process is re-parented)."""
        parent = os.getppid()
        while not self._done.is_set():
            time.sleep(1)
            if os.getppid() != parent:
                log("error", "host process went away, exiting", parent_pid=parent)
                os._exit(2)


class _PB:
    """Named access to the loaded modules, for the host client."""

    def __init__(self, modules):
        self.plugin, self.method, self.errors, self.host, self.chain = modules
