"""Tests of the fee-estimator role: a Plugin's FeeEstimator and Plugin
services over a real gRPC server (plain, on a unix socket: the TLS and the
handshake are serve()'s and not what is tested here), called as amberd
calls them, errors read back as amberd reads them."""

import os
import shutil
import sys
import tempfile
import unittest
from concurrent import futures

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from amber_plugin import protos  # noqa: E402
from amber_plugin.errors import (AmberError, KIND_DAEMON, KIND_INTERNAL, KIND_INVALID_ARGUMENT,  # noqa: E402
                                 KIND_UNAVAILABLE, KIND_UNIMPLEMENTED, from_rpc_error)
from amber_plugin.server import CAP_FEE_ESTIMATOR, CAP_METHOD_PROVIDER, Plugin  # noqa: E402


class _Served:
    """plugin's gRPC services on a unix socket, with a channel to them."""

    def __init__(self, plugin):
        self.pb = protos.load()
        plugin._pb = self.pb
        self.dir = tempfile.mkdtemp(prefix="amberpy-test")
        sock = "unix:" + os.path.join(self.dir, "p.sock")
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.server.add_generic_rpc_handlers(plugin._handlers())
        self.server.add_insecure_port(sock)
        self.server.start()
        self.channel = grpc.insecure_channel(sock)

    def call(self, service, method, request, response_type):
        fn = self.channel.unary_unary("/amber.plugin.v1.%s/%s" % (service, method),
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=response_type.FromString)
        return fn(request, timeout=10)

    def estimate(self, blocks, mode=""):
        chain = self.pb[4]
        return self.call("FeeEstimator", "EstimateFee", chain.EstimateFeeRequest(blocks=blocks, mode=mode),
                         chain.EstimateFeeResponse).fee

    def relay(self):
        chain = self.pb[4]
        return self.call("FeeEstimator", "RelayFee", chain.RelayFeeRequest(), chain.RelayFeeResponse).fee

    def describe(self):
        plugin_pb2 = self.pb[0]
        return self.call("Plugin", "Describe", plugin_pb2.DescribeRequest(), plugin_pb2.DescribeResponse)

    def close(self):
        self.channel.close()
        self.server.stop(None).wait()
        shutil.rmtree(self.dir, True)


def fee_plugin(rate, relay=lambda call: 0.00001):
    p = Plugin("fees-py", "0.1.0")
    p.fee_rate(rate)
    p.min_relay_fee(relay)
    return p


class FeeEstimatorTest(unittest.TestCase):
    def serve(self, plugin):
        s = _Served(plugin)
        self.addCleanup(s.close)
        return s

    def test_rates_cross(self):
        seen = []

        def rate(call, blocks, mode):
            seen.append((blocks, mode, call.method))
            return -1 if blocks > 100 else 0.0001 * blocks

        s = self.serve(fee_plugin(rate, relay=lambda call: 0.00002))
        cases = [(2, "", 0.0002), (6, "ECONOMICAL", 0.0006), (0, "CONSERVATIVE", 0.0), (144, "", -1.0)]
        for blocks, mode, want in cases:
            with self.subTest(blocks=blocks, mode=mode):
                self.assertAlmostEqual(s.estimate(blocks, mode), want)
        self.assertEqual(seen, [(b, m, "EstimateFee") for b, m, _ in cases])
        self.assertEqual(s.relay(), 0.00002)

    def test_errors_keep_their_kind(self):
        def raising(exc):
            def fn(call, *args):
                raise exc
            return fn

        cases = [
            ("amber error", raising(AmberError(KIND_UNAVAILABLE, "no mempool yet")), KIND_UNAVAILABLE,
             "no mempool yet"),
            ("daemon error", raising(AmberError(KIND_DAEMON, "rpc failed", -28, "loading")), KIND_DAEMON,
             "rpc failed"),
            ("bug", raising(ZeroDivisionError("division by zero")), KIND_INTERNAL, "ZeroDivisionError"),
            ("not a number", lambda call, *a: "0.1", KIND_INTERNAL, "want a finite number"),
            ("a bool", lambda call, *a: True, KIND_INTERNAL, "want a finite number"),
            ("nan", lambda call, *a: float("nan"), KIND_INTERNAL, "want a finite number"),
        ]
        for name, fn, kind, text in cases:
            with self.subTest(name):
                s = self.serve(fee_plugin(fn, relay=fn))
                for rpc in (lambda: s.estimate(2), s.relay):
                    with self.assertRaises(grpc.RpcError) as cm:
                        rpc()
                    err = from_rpc_error(cm.exception, s.pb[2])
                    self.assertEqual(err.kind, kind)
                    self.assertIn(text, err.message)
                    if kind == KIND_DAEMON:
                        self.assertEqual((err.daemon_code, err.daemon_message), (-28, "loading"))

    def test_negative_blocks_refused_before_the_handler(self):
        called = []
        s = self.serve(fee_plugin(lambda call, b, m: called.append(b) or 0.1))
        with self.assertRaises(grpc.RpcError) as cm:
            s.estimate(-1)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(from_rpc_error(cm.exception, s.pb[2]).kind, KIND_INVALID_ARGUMENT)
        self.assertEqual(called, [])

    def test_without_the_role_unimplemented(self):
        p = Plugin("methods-py", "0.1.0")
        s = self.serve(p)
        with self.assertRaises(grpc.RpcError) as cm:
            s.estimate(2)
        self.assertEqual(from_rpc_error(cm.exception, s.pb[2]).kind, KIND_UNIMPLEMENTED)

    def test_capabilities(self):
        def with_method(p):
            p.method("fees.py_x")(lambda call: 1)
            return p

        cases = [
            ("no role", Plugin("a", "1"), [CAP_METHOD_PROVIDER]),
            ("methods", with_method(Plugin("a", "1")), [CAP_METHOD_PROVIDER]),
            ("fees only", fee_plugin(lambda c, b, m: 1), [CAP_FEE_ESTIMATOR]),
            ("both", with_method(fee_plugin(lambda c, b, m: 1)), [CAP_METHOD_PROVIDER, CAP_FEE_ESTIMATOR]),
        ]
        for name, plugin, want in cases:
            with self.subTest(name):
                self.assertEqual(plugin.capabilities(), want)
                s = self.serve(plugin)
                self.assertEqual(list(s.describe().capabilities), want)

    def test_half_a_role_refused(self):
        for missing in ("min_relay_fee", "fee_rate"):
            with self.subTest(missing=missing):
                p = Plugin("half", "1")
                if missing == "min_relay_fee":
                    p.fee_rate(lambda c, b, m: 1)
                else:
                    p.min_relay_fee(lambda c: 1)
                with self.assertRaisesRegex(ValueError, missing + " is missing"):
                    p.check()
                self.assertEqual(p.capabilities(), [CAP_METHOD_PROVIDER])
        fee_plugin(lambda c, b, m: 1).check()  # complete: no error


if __name__ == "__main__":
    unittest.main()
