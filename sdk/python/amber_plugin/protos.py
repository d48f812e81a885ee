"""The protobuf message modules (*_pb2) of Amber's plugin contract.

They are generated from the .proto files at first use (with protoc, or
python3 -m grpc_tools.protoc when protoc is missing) into a temporary
directory removed at exit. The .proto files are looked up in
$AMBERPY_PROTO_DIR, then in the package's own proto/ directory (a pip
install ships them there), then in the Amber tree (sdk/proto next to
sdk/python). AMBERPY_STUBS_DIR names a directory of pre-generated
modules to use instead (make stubs)."""

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

PROTOS = ["amber/plugin/v1/plugin.proto", "amber/plugin/v1/method.proto",
          "amber/plugin/v1/errors.proto", "amber/plugin/v1/host.proto",
          "amber/plugin/v1/chain.proto"]  # chain.proto: the fee messages the FeeEstimator service reuses

HERE = os.path.dirname(os.path.realpath(__file__))


def proto_dir():
    """Where the .proto files are."""
    for cand in (os.environ.get("AMBERPY_PROTO_DIR"), os.path.join(HERE, "proto"),
                 os.path.join(HERE, "..", "..", "proto")):
        if cand and os.path.exists(os.path.join(cand, PROTOS[0])):
            return os.path.realpath(cand)
    raise RuntimeError("amber_plugin: the .proto files are not found: set AMBERPY_PROTO_DIR to the SDK's "
                       "proto directory (sdk/proto of the Amber repository)")


def generate(out):
    """Generate the *_pb2.py modules into out."""
    src = proto_dir()
    protoc = shutil.which("protoc")
    cmd = [protoc] if protoc else [sys.executable, "-m", "grpc_tools.protoc"]
    cmd += ["-I", src]
    if not protoc:
        import grpc_tools  # its well-known types (timestamp.proto)
        cmd += ["-I", os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")]
    elif os.path.isdir("/usr/include/google/protobuf"):
        cmd += ["-I", "/usr/include"]
    subprocess.run(cmd + ["--python_out=" + out] + PROTOS, check=True, stdout=sys.stderr)


_modules = None


def load():
    """Return (plugin_pb2, method_pb2, errors_pb2, host_pb2, chain_pb2)."""
    global _modules
    if _modules is not None:
        return _modules
    stubs = os.environ.get("AMBERPY_STUBS_DIR")
    if not (stubs and os.path.exists(os.path.join(stubs, "amber", "plugin", "v1", "chain_pb2.py"))):
        stubs = tempfile.mkdtemp(prefix="amber-plugin-stubs")
        atexit.register(shutil.rmtree, stubs, True)
        generate(stubs)
    if stubs not in sys.path:
        sys.path.insert(0, stubs)
    _modules = tuple(importlib.import_module("amber.plugin.v1." + name)
                     for name in ("plugin_pb2", "method_pb2", "errors_pb2", "host_pb2", "chain_pb2"))
    return _modules
