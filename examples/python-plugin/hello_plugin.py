"""hello-py: an Amber method-provider plugin written in Python.

It adds the JSON-RPC method hello.py_world(name), answering "hello, <name>",
and speaks everything amberd expects from a plugin process:

* hashicorp/go-plugin's handshake: the magic cookie check, protocol
  version 1 (PLUGIN_PROTOCOL_VERSIONS), a gRPC server on a unix socket, and
  the line "1|1|unix|<socket>|grpc|<server cert>" on stdout;
* go-plugin's AutoMTLS: amberd passes its client certificate (PEM) in
  PLUGIN_CLIENT_CERT; the plugin makes its own self-signed certificate for
  "localhost", serves TLS requiring amberd's certificate, and prints its
  certificate (base64 DER without padding) as the sixth field;
* go-plugin's services: grpc.health.v1.Health ("plugin" is SERVING),
  plugin.GRPCController (Shutdown stops the process) and plugin.GRPCBroker
  (accepted and ignored: this plugin does not use amberd's host services);
* Amber's services from the published .proto files (sdk/proto):
  amber.plugin.v1.Plugin (Describe, Configure, Shutdown) and
  amber.plugin.v1.MethodProvider (ListMethods, CallMethod). Errors carry an
  amber.plugin.v1.ErrorDetail so amberd sees the SDK's error kind.

The protobuf message modules (*_pb2.py) are not committed: the launcher
(hello-plugin) generates them with protoc from sdk/proto. Needs Debian's
python3-grpcio, python3-protobuf and python3-cryptography.
"""

import base64
import datetime
import json
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from amber.plugin.v1 import errors_pb2, method_pb2, plugin_pb2

MAGIC_COOKIE_KEY = "AMBER_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "0310af728e4ca129b3a5eb37d08b8ef0e0ea160aec1b7db70d1ebfddd63853c2"
CORE_PROTOCOL_VERSION = 1  # go-plugin's
APP_PROTOCOL_VERSION = 1  # sdk.ProtocolVersion
SDK_VERSION = "1.0.0"  # the SDK release this plugin follows (major = protocol)
MAX_MESSAGE_SIZE = 64 << 20  # sdk.MaxMessageSize

NAME, VERSION = "hello-py", "0.1.0"

# sdk.Kind values (errors.proto) and their gRPC codes (sdk.KindTable).
KIND_INVALID_ARGUMENT = 4
KIND_UNIMPLEMENTED = 6


def log(level, message, **fields):
    """Write one hclog-style JSON line on stderr; amberd re-emits it."""
    entry = {"@level": level, "@message": message,
             "@timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    entry.update(fields)
    sys.stderr.write(json.dumps(entry) + "\n")
    sys.stderr.flush()


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, payload):
    """A length-delimited protobuf field."""
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


class _Status(grpc.Status):
    def __init__(self, code, details, trailing_metadata):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


def abort(context, code, kind, message):
    """Fail the call with code and an ErrorDetail of kind in the status
    details (google.rpc.Status, encoded by hand: it is not in
    python3-protobuf)."""
    detail = errors_pb2.ErrorDetail(kind=kind, message=message).SerializeToString()
    any_msg = _field(1, b"type.googleapis.com/amber.plugin.v1.ErrorDetail") + _field(2, detail)
    status = (_varint(1 << 3) + _varint(code.value[0]) + _field(2, message.encode()) + _field(3, any_msg))
    context.abort_with_status(_Status(code, message, (("grpc-status-details-bin", status),)))


class Hello:
    """The plugin: lifecycle and methods."""

    def describe(self, request, context):
        return plugin_pb2.DescribeResponse(name=NAME, version=VERSION, sdk_version=SDK_VERSION,
                                           capabilities=["method-provider"])

    def configure(self, request, context):
        raw = request.config_json.strip() or b"{}"
        try:
            config = json.loads(raw)
        except ValueError:
            config = None
        if not isinstance(config, dict):
            abort(context, grpc.StatusCode.INVALID_ARGUMENT, KIND_INVALID_ARGUMENT,
                  "hello-py config: not a JSON object")
        if config:
            abort(context, grpc.StatusCode.INVALID_ARGUMENT, KIND_INVALID_ARGUMENT,
                  "hello-py config: %s: unknown key" % sorted(config)[0])
        return plugin_pb2.ConfigureResponse()

    def shutdown(self, request, context):
        return plugin_pb2.ShutdownResponse()

    def list_methods(self, request, context):
        return method_pb2.MethodListResponse(methods=[method_pb2.MethodSpec(
            name="hello.py_world", min_args=1, max_args=1, param_names=["name"], cost=0.1)])

    def call_method(self, request, context):
        if request.method != "hello.py_world":
            abort(context, grpc.StatusCode.UNIMPLEMENTED, KIND_UNIMPLEMENTED,
                  "unknown method %s" % request.method)
        try:
            params = json.loads(request.params_json)
        except ValueError:
            params = None
        if not isinstance(params, list) or len(params) != 1 or not isinstance(params[0], str):
            abort(context, grpc.StatusCode.INVALID_ARGUMENT, KIND_INVALID_ARGUMENT, "name must be a string")
        result = json.dumps("hello, " + params[0], ensure_ascii=False)
        return method_pb2.MethodCallResponse(result_json=result.encode())


def make_cert():
    """A self-signed certificate for "localhost", as go-plugin makes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amber")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert, key_pem


def unary(fn, request_type):
    return grpc.unary_unary_rpc_method_handler(
        fn, request_deserializer=request_type.FromString, response_serializer=lambda m: m.SerializeToString())


def raw_unary(fn):
    return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=None, response_serializer=None)


def handlers(hello, stop):
    """The gRPC services, registered without generated service stubs."""
    def health_check(request, context):
        return b"\x08\x01"  # HealthCheckResponse{status: SERVING}

    def controller_shutdown(request, context):
        stop()
        return b""  # plugin.Empty

    def broker_stream(request_iterator, context):
        for _ in request_iterator:  # connection offers from amberd: not used
            pass
        return
        yield  # a generator that sends nothing

    return [
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": raw_unary(health_check)}),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {"Shutdown": raw_unary(controller_shutdown)}),
        grpc.method_handlers_generic_handler("plugin.GRPCBroker", {"StartStream": grpc.stream_stream_rpc_method_handler(
            broker_stream, request_deserializer=None, response_serializer=None)}),
        grpc.method_handlers_generic_handler("amber.plugin.v1.Plugin", {
            "Describe": unary(hello.describe, plugin_pb2.DescribeRequest),
            "Configure": unary(hello.configure, plugin_pb2.ConfigureRequest),
            "Shutdown": unary(hello.shutdown, plugin_pb2.ShutdownRequest),
        }),
        grpc.method_handlers_generic_handler("amber.plugin.v1.MethodProvider", {
            "ListMethods": unary(hello.list_methods, method_pb2.MethodListRequest),
            "CallMethod": unary(hello.call_method, method_pb2.MethodCallRequest),
        }),
    ]


def watch_parent():
    """Exit when amberd goes away (the process is re-parented)."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            log("error", "host process went away, exiting", parent_pid=parent)
            os._exit(2)


def serve():
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This binary is a plugin. These are not meant to be executed directly.\n"
                         "Please execute the program that consumes these plugins, which will\n"
                         "load any plugins automatically\n")
        return 1
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(APP_PROTOCOL_VERSION)).split(",")
    if str(APP_PROTOCOL_VERSION) not in [v.strip() for v in offered]:
        log("error", "incompatible plugin protocol", offered=offered, supported=APP_PROTOCOL_VERSION)
        return 1
    client_pem = os.environ.get("PLUGIN_CLIENT_CERT", "")
    if not client_pem:
        log("error", "PLUGIN_CLIENT_CERT is not set: this plugin only runs under go-plugin's AutoMTLS")
        return 1

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as go-plugin: the host decides when we stop
    cert, key_pem = make_cert()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=client_pem.encode(),
                                        require_client_auth=True)
    sock_dir = tempfile.mkdtemp(prefix="plugin", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
    sock = os.path.join(sock_dir, "plugin.sock")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_SIZE), ("grpc.max_send_message_length", MAX_MESSAGE_SIZE)])
    done = threading.Event()
    server.add_generic_rpc_handlers(handlers(Hello(), done.set))
    server.add_secure_port("unix:" + sock, creds)
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=watch_parent, daemon=True).start()

    der = cert.public_bytes(serialization.Encoding.DER)
    line = "%d|%d|unix|%s|grpc|%s" % (CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, sock,
                                      base64.b64encode(der).decode().rstrip("="))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    sys.stdout = sys.stderr  # nothing else may reach amberd's stdout reader
    log("debug", "plugin address", network="unix", address=sock)

    done.wait()
    server.stop(grace=2).wait()
    try:
        os.unlink(sock)
        os.rmdir(sock_dir)
    except OSError:
        pass
    return 0
