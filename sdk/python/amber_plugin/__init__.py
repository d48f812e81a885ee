"""amber_plugin: write Amber plugins in Python.

A method-provider plugin in a few lines::

    import sys
    from amber_plugin import Plugin, AmberError, KIND_INVALID_ARGUMENT, parse_hash

    plugin = Plugin("hello-py", "0.1.0")

    @plugin.method("hello.py_world", min_args=1, max_args=1, param_names=["name"], cost=0.1)
    def world(call, name):
        if not isinstance(name, str):
            raise AmberError(KIND_INVALID_ARGUMENT, "name must be a string")
        return "hello, " + name

    @plugin.method("hello.py_balance", min_args=1, max_args=1, param_names=["scripthash"], cost=0.5)
    def balance(call, scripthash):
        return call.host.balance(parse_hash(scripthash))   # amberd's host services

    if __name__ == "__main__":
        sys.exit(plugin.serve())

A fee estimator (sdk.FeeEstimator: amberd answers blockchain.estimatefee
and blockchain.relayfee through it) registers both fee handlers::

    @plugin.fee_rate
    def fee_rate(call, blocks, mode):      # coin units per kB, -1: no estimate
        return 0.0002 if blocks <= 2 else 0.0001

    @plugin.min_relay_fee
    def min_relay_fee(call):
        return 0.00001

The package does what the Go SDK's sdk.Serve does: go-plugin's
handshake and AutoMTLS, its health, controller, broker and stdio services,
Amber's Plugin, MethodProvider and FeeEstimator services (Describe lists
the capabilities of the roles registered), the host services (sdk.Host,
Balance included) over go-plugin's broker, and the SDK's error kinds.
"""

from .errors import (AmberError, KIND_DAEMON, KIND_INTERNAL, KIND_INVALID_ARGUMENT, KIND_NOT_FOUND,
                     KIND_REJECTED, KIND_TIMEOUT, KIND_UNAVAILABLE, KIND_UNIMPLEMENTED, KINDS)
from .host import HostClient, hash_hex, parse_hash, script_hash
from .server import (Call, MethodSpec, Plugin, log, CAP_FEE_ESTIMATOR, CAP_METHOD_PROVIDER, MAGIC_COOKIE_KEY,
                     MAGIC_COOKIE_VALUE, PROTOCOL_VERSION, SDK_VERSION)

__all__ = ["AmberError", "CAP_FEE_ESTIMATOR", "CAP_METHOD_PROVIDER", "Call", "HostClient", "MethodSpec", "Plugin",
           "log", "hash_hex", "parse_hash", "script_hash", "KINDS", "KIND_DAEMON", "KIND_INTERNAL", "KIND_INVALID_ARGUMENT", "KIND_NOT_FOUND",
           "KIND_REJECTED", "KIND_TIMEOUT", "KIND_UNAVAILABLE", "KIND_UNIMPLEMENTED", "MAGIC_COOKIE_KEY",
           "MAGIC_COOKIE_VALUE", "PROTOCOL_VERSION", "SDK_VERSION"]
__version__ = "1.0.0"
