"""hello-py: an Amber method-provider plugin written in Python with the
amber_plugin helper package (sdk/python).

Methods:

* hello.py_world(name) -> "hello, <name>";
* hello.py_height() -> the height of amberd's chain tip (host service Tip);
* hello.py_balance(scripthash) -> {"confirmed", "unconfirmed"}, Electrum's
  get_balance read through the host service Balance.
"""

import sys

from amber_plugin import AmberError, KIND_INVALID_ARGUMENT, Plugin, parse_hash

plugin = Plugin("hello-py", "0.2.0")


@plugin.method("hello.py_world", min_args=1, max_args=1, param_names=["name"], cost=0.1)
def world(call, name):
    if not isinstance(name, str):
        raise AmberError(KIND_INVALID_ARGUMENT, "name must be a string")
    return "hello, " + name


@plugin.method("hello.py_height", cost=0.1)
def height(call):
    return call.host.tip()["height"]


@plugin.method("hello.py_balance", min_args=1, max_args=1, param_names=["scripthash"], cost=0.5)
def balance(call, scripthash):
    if not isinstance(scripthash, str):
        raise AmberError(KIND_INVALID_ARGUMENT, "scripthash must be a hex string")
    return call.host.balance(parse_hash(scripthash))


@plugin.configure
def configure(config):
    if config:
        raise AmberError(KIND_INVALID_ARGUMENT, "hello-py config: %s: unknown key" % sorted(config)[0])


def serve():
    return plugin.serve()


if __name__ == "__main__":
    sys.exit(serve())
