"""fees-py: an Amber fee-estimator plugin written in Python with the
amber_plugin helper package (sdk/python). Loaded into amberd it answers
blockchain.estimatefee and blockchain.relayfee (Describe lists the
capability "fee-estimator"; it registers no methods).

Config (plugins.<name>.config): {"rate": <coin/kB for the next 2 blocks,
default 0.0002>, "relay_fee": <coin/kB, default 0.00001>}. The estimate
halves beyond 2 blocks (never below relay_fee) and is -1 (no estimate)
beyond 1008 blocks, as bitcoind's estimatesmartfee horizon.
"""

import math
import sys

from amber_plugin import AmberError, KIND_INVALID_ARGUMENT, Plugin

plugin = Plugin("fees-py", "0.1.0")
MODES = ("", "CONSERVATIVE", "ECONOMICAL")
MAX_BLOCKS = 1008
settings = {"rate": 0.0002, "relay_fee": 0.00001}


@plugin.fee_rate
def fee_rate(call, blocks, mode):
    if mode not in MODES:
        raise AmberError(KIND_INVALID_ARGUMENT, "mode %r: want one of %s" % (mode, ", ".join(MODES[1:])))
    if blocks > MAX_BLOCKS:
        return -1
    rate = settings["rate"] if blocks <= 2 else settings["rate"] / 2
    return max(rate, settings["relay_fee"])


@plugin.min_relay_fee
def min_relay_fee(call):
    return settings["relay_fee"]


@plugin.configure
def configure(config):
    new = dict(settings)
    for key, value in config.items():
        if key not in new:
            raise AmberError(KIND_INVALID_ARGUMENT, "fees-py config: %s: unknown key" % key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise AmberError(KIND_INVALID_ARGUMENT, "fees-py config: %s: want a number >= 0, got %r" % (key, value))
        new[key] = float(value)
    settings.update(new)


def serve():
    return plugin.serve()


if __name__ == "__main__":
    sys.exit(serve())
