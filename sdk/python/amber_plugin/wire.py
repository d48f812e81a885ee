"""Hand-written protobuf encodings of the few go-plugin and google.rpc
messages that have no module in python3-protobuf: google.rpc.Status (error
details), plugin.ConnInfo (the broker) and plugin.StdioData (stdio)."""


def varint(n):
    """Encode a non-negative integer as a protobuf varint."""
    if n < 0:
        n += 1 << 64  # two's complement, as protobuf encodes negative int64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_bytes(num, payload):
    """A length-delimited field (wire type 2)."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def field_varint(num, value):
    """A varint field (wire type 0)."""
    return varint(num << 3) + varint(value)


def read_varint(buf, pos):
    """Decode a varint at pos; return (value, next position)."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """Iterate (field number, wire type, value) over a message: value is an
    int for varints and fixed ints, bytes for length-delimited fields."""
    buf = bytes(buf)
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise ValueError("field number 0")
        if wt == 0:
            value, pos = read_varint(buf, pos)
        elif wt == 1:
            if pos + 8 > len(buf):
                raise ValueError("truncated fixed64")
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wt == 2:
            n, pos = read_varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated bytes field")
            value, pos = buf[pos:pos + n], pos + n
        elif wt == 5:
            if pos + 4 > len(buf):
                raise ValueError("truncated fixed32")
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, value


ERROR_DETAIL_TYPE = "type.googleapis.com/amber.plugin.v1.ErrorDetail"


def encode_status(code, message, details):
    """google.rpc.Status{code, message, details: [Any]}; details is a list
    of (type_url, serialized message)."""
    out = field_varint(1, code) if code else b""
    if message:
        out += field_bytes(2, message.encode("utf-8"))
    for type_url, value in details:
        out += field_bytes(3, field_bytes(1, type_url.encode()) + field_bytes(2, value))
    return out


def decode_status(buf):
    """Decode google.rpc.Status into (code, message, [(type_url, value)])."""
    code, message, details = 0, "", []
    for num, wt, value in fields(buf):
        if num == 1 and wt == 0:
            code = value
        elif num == 2 and wt == 2:
            message = value.decode("utf-8", "replace")
        elif num == 3 and wt == 2:
            type_url, payload = "", b""
            for n, w, v in fields(value):
                if n == 1 and w == 2:
                    type_url = v.decode("utf-8", "replace")
                elif n == 2 and w == 2:
                    payload = v
            details.append((type_url, payload))
    return code, message, details


def decode_conn_info(buf):
    """Decode go-plugin's plugin.ConnInfo: {service_id, network, address}."""
    info = {"service_id": 0, "network": "", "address": ""}
    for num, wt, value in fields(buf):
        if num == 1 and wt == 0:
            info["service_id"] = value
        elif num == 2 and wt == 2:
            info["network"] = value.decode("utf-8", "replace")
        elif num == 3 and wt == 2:
            info["address"] = value.decode("utf-8", "replace")
    return info


STDIO_STDOUT, STDIO_STDERR = 1, 2


def encode_stdio(channel, data):
    """go-plugin's plugin.StdioData{channel, data}."""
    return field_varint(1, channel) + field_bytes(2, data)
