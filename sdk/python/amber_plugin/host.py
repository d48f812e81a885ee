"""The host-services client: amberd's index (sdk.Host) reached over
go-plugin's broker.

amberd sends the broker id of its host-services server in Configure and
the address to dial (a plugin.ConnInfo: service id, network, address) on
the broker stream; the plugin dials it with mutual TLS (its own
certificate, amberd's as the only root, server name "localhost") and calls
amber.plugin.v1.HostServices on that connection."""

import threading

import grpc

from .errors import AmberError, KIND_INVALID_ARGUMENT, KIND_UNAVAILABLE, from_rpc_error

MAX_MESSAGE_SIZE = 64 << 20  # sdk.MaxMessageSize


class Broker:
    """The connection offers amberd sends on the broker stream, by id."""

    def __init__(self):
        self._cond = threading.Condition()
        self._offers = {}

    def offer(self, info):
        with self._cond:
            self._offers[info["service_id"]] = info
            self._cond.notify_all()

    def wait(self, service_id, timeout):
        """The ConnInfo for service_id, waiting up to timeout seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: service_id in self._offers, timeout):
                raise AmberError(KIND_UNAVAILABLE, "no broker connection %d from amberd within %ss" % (service_id, timeout))
            return self._offers[service_id]


def parse_hash(hex_str):
    """sdk.ParseHash: the 32 bytes of a hash given in its (byte-reversed)
    display hex, as Electrum sends txids and script hashes."""
    try:
        raw = bytes.fromhex(hex_str)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise AmberError(KIND_INVALID_ARGUMENT, "%r is not a 64-digit hex hash" % (hex_str,))
    return raw[::-1]


def hash_hex(raw):
    """sdk.Hash.String: the display hex of 32 internal-order bytes."""
    return bytes(raw)[::-1].hex()


def script_hash(script):
    """sdk.ScriptHashOf: sha256(scriptPubKey) in digest order."""
    import hashlib
    return hashlib.sha256(bytes(script)).digest()


class HostClient:
    """amberd's host services (sdk.Host and sdk.BalanceHost). Hashes are 32
    bytes in internal order (parse_hash of an Electrum hex string, or
    script_hash of a script); errors are AmberError."""

    def __init__(self, channel, pb, timeout=30):
        self._channel = channel
        self._pb = pb
        self._timeout = timeout
        host = pb.host

        def unary(name, req, resp):
            return channel.unary_unary("/amber.plugin.v1.HostServices/" + name,
                                       request_serializer=req.SerializeToString,
                                       response_deserializer=resp.FromString)
        self._tip = unary("Tip", host.HostTipRequest, host.HostHead)
        self._headers = unary("Headers", host.HostHeadersRequest, host.HostHeadersResponse)
        self._history = unary("History", host.HostHistoryRequest, host.HostHistoryResponse)
        self._unspent = unary("Unspent", host.HostUnspentRequest, host.HostUnspentResponse)
        self._balance = unary("Balance", host.HostBalanceRequest, host.HostBalanceResponse)
        self._merkle = unary("TxMerkle", host.HostTxMerkleRequest, host.HostTxMerkleResponse)

    def _call(self, stub, request):
        try:
            return stub(request, timeout=self._timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e, self._pb.errors) from None

    def tip(self):
        """{"height", "hash" (bytes), "header" (80 bytes)} of amberd's tip."""
        h = self._call(self._tip, self._pb.host.HostTipRequest())
        return {"height": h.height, "hash": bytes(h.hash), "header": bytes(h.header)}

    def headers(self, start, count):
        """Up to count raw headers from height start (at most 2016)."""
        r = self._call(self._headers, self._pb.host.HostHeadersRequest(start=start, count=count))
        return [bytes(x) for x in r.headers]

    def history(self, scripthash, cursor="", limit=0):
        """One page: ([{"tx_hash", "height", "fee"}], next_cursor)."""
        r = self._call(self._history, self._pb.host.HostHistoryRequest(script_hash=scripthash, cursor=cursor,
                                                                        limit=limit))
        return ([{"tx_hash": bytes(e.tx_hash), "height": e.height, "fee": e.fee} for e in r.entries],
                r.next_cursor)

    def unspent(self, scripthash):
        """Unspent outputs, minus those spent in the mempool."""
        r = self._call(self._unspent, self._pb.host.HostUnspentRequest(script_hash=scripthash))
        return [{"tx_hash": bytes(u.tx_hash), "tx_pos": u.tx_pos, "height": u.height, "value": u.value}
                for u in r.utxos]

    def balance(self, scripthash):
        """Electrum's get_balance: {"confirmed", "unconfirmed"} in satoshis
        (unconfirmed may be negative)."""
        r = self._call(self._balance, self._pb.host.HostBalanceRequest(script_hash=scripthash))
        return {"confirmed": r.confirmed, "unconfirmed": r.unconfirmed}

    def tx_merkle(self, txid, height):
        """{"pos", "branch" [bytes], "root"} of txid in the block at height."""
        r = self._call(self._merkle, self._pb.host.HostTxMerkleRequest(txid=txid, height=height))
        return {"pos": r.pos, "branch": [bytes(b) for b in r.branch], "root": bytes(r.root)}

    def close(self):
        self._channel.close()


def dial(info, identity, host_cert_pem, pb):
    """A HostClient on the broker connection info offers."""
    if info["network"] == "unix":
        target = "unix:" + info["address"]
    else:
        target = info["address"]
    creds = grpc.ssl_channel_credentials(root_certificates=host_cert_pem, private_key=identity.key_pem,
                                         certificate_chain=identity.cert_pem)
    channel = grpc.secure_channel(target, creds, options=[
        ("grpc.ssl_target_name_override", "localhost"), ("grpc.default_authority", "localhost"),
        ("grpc.max_receive_message_length", MAX_MESSAGE_SIZE), ("grpc.max_send_message_length", MAX_MESSAGE_SIZE)])
    return HostClient(channel, pb)
