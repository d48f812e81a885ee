"""Unit tests of amber_plugin's hand-written encodings and its checks
(run: python3 -m unittest discover -s tests, from sdk/python)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from amber_plugin import wire  # noqa: E402
from amber_plugin.host import parse_hash, hash_hex, script_hash  # noqa: E402
from amber_plugin.server import MethodSpec  # noqa: E402
from amber_plugin.errors import AmberError, KIND_INVALID_ARGUMENT  # noqa: E402


class WireTest(unittest.TestCase):
    def test_varint_round_trip(self):
        for n in (0, 1, 127, 128, 300, 2 ** 32, 2 ** 63 - 1):
            v, pos = wire.read_varint(wire.varint(n), 0)
            self.assertEqual((v, pos), (n, len(wire.varint(n))))

    def test_status_round_trip(self):
        raw = wire.encode_status(3, "bad thing", [(wire.ERROR_DETAIL_TYPE, b"\x08\x04")])
        self.assertEqual(wire.decode_status(raw), (3, "bad thing", [(wire.ERROR_DETAIL_TYPE, b"\x08\x04")]))

    def test_conn_info(self):
        raw = wire.field_varint(1, 7) + wire.field_bytes(2, b"unix") + wire.field_bytes(3, b"/tmp/p.sock")
        self.assertEqual(wire.decode_conn_info(raw), {"service_id": 7, "network": "unix", "address": "/tmp/p.sock"})

    def test_truncated(self):
        for raw in (b"\x08", b"\x12\x05ab", b"\x80"):
            with self.assertRaises(ValueError):
                list(wire.fields(raw))

    def test_stdio(self):
        self.assertEqual(list(wire.fields(wire.encode_stdio(wire.STDIO_STDOUT, b"hi"))), [(1, 0, 1), (2, 2, b"hi")])


class HashTest(unittest.TestCase):
    def test_parse_hash_reverses(self):
        hex_str = "00" * 31 + "ff"
        self.assertEqual(parse_hash(hex_str), b"\xff" + b"\x00" * 31)
        self.assertEqual(hash_hex(parse_hash(hex_str)), hex_str)
        self.assertEqual(len(script_hash(b"\x51")), 32)

    def test_parse_hash_refuses(self):
        for bad in ("zz", "00", None, "0" * 63):
            with self.assertRaises(AmberError) as cm:
                parse_hash(bad)
            self.assertEqual(cm.exception.kind, KIND_INVALID_ARGUMENT)


class MethodSpecTest(unittest.TestCase):
    def test_valid(self):
        s = MethodSpec("hello.world", 1, 2, ["a", "b"], 0.5, "1.4")
        self.assertEqual((s.min_args, s.max_args), (1, 2))
        self.assertEqual(MethodSpec("a.b", 1).max_args, 1)

    def test_invalid(self):
        for args in (("noDot",), ("a b.c",), ("a.b", 2, 1), ("a.b", 0, 1, ["x", "y"]), ("a.b", 0, 2, ["x", "x"]),
                     ("a.b", 0, 0, (), -1), ("a.b", 0, 0, (), 0, "one")):
            with self.assertRaises(ValueError, msg=repr(args)):
                MethodSpec(*args)


if __name__ == "__main__":
    unittest.main()
