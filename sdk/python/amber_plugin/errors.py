"""Errors with the SDK's kinds (sdk.Kind, sdk/errors.go): a method or host
call fails with an AmberError whose kind travels in the gRPC status as an
amber.plugin.v1.ErrorDetail, exactly as the Go SDK sends it, so amberd
maps it to the same Electrum error code."""

import grpc

from . import wire

KIND_INTERNAL = 0
KIND_DAEMON = 1
KIND_UNAVAILABLE = 2
KIND_REJECTED = 3
KIND_INVALID_ARGUMENT = 4
KIND_NOT_FOUND = 5
KIND_UNIMPLEMENTED = 6
KIND_TIMEOUT = 7

# The Go SDK's kind table (kindTable, sdk/errors.go): kind -> (name, gRPC code).
KINDS = {
    KIND_INTERNAL: ("internal", grpc.StatusCode.INTERNAL),
    KIND_DAEMON: ("daemon", grpc.StatusCode.ABORTED),
    KIND_UNAVAILABLE: ("unavailable", grpc.StatusCode.UNAVAILABLE),
    KIND_REJECTED: ("rejected", grpc.StatusCode.FAILED_PRECONDITION),
    KIND_INVALID_ARGUMENT: ("invalid-argument", grpc.StatusCode.INVALID_ARGUMENT),
    KIND_NOT_FOUND: ("not-found", grpc.StatusCode.NOT_FOUND),
    KIND_UNIMPLEMENTED: ("unimplemented", grpc.StatusCode.UNIMPLEMENTED),
    KIND_TIMEOUT: ("timeout", grpc.StatusCode.DEADLINE_EXCEEDED),
}


class AmberError(Exception):
    """An error of one of the SDK's kinds (KIND_*). daemon_code and
    daemon_message carry a daemon's JSON-RPC error (KIND_DAEMON,
    KIND_REJECTED)."""

    def __init__(self, kind, message, daemon_code=0, daemon_message=""):
        super().__init__(message)
        self.kind = kind if kind in KINDS else KIND_INTERNAL
        self.message = message
        self.daemon_code = daemon_code
        self.daemon_message = daemon_message

    def __str__(self):
        return "%s: %s" % (KINDS[self.kind][0], self.message)


def invalid_argument(message):
    return AmberError(KIND_INVALID_ARGUMENT, message)


def kind_for_code(code):
    """sdk.KindForGRPCCode: the kind of a status without an ErrorDetail."""
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
        return KIND_UNAVAILABLE
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return KIND_TIMEOUT
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return KIND_UNIMPLEMENTED
    for kind, (_, c) in KINDS.items():
        if c == code and kind not in (KIND_INTERNAL,):
            return kind
    return KIND_INTERNAL


class _Status(grpc.Status):
    def __init__(self, code, details, trailing_metadata):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


def status_for(err, errors_pb2):
    """The grpc.Status that carries err (an AmberError, or any exception as
    KIND_INTERNAL) with its ErrorDetail."""
    if not isinstance(err, AmberError):
        err = AmberError(KIND_INTERNAL, "%s: %s" % (type(err).__name__, err))
    code = KINDS[err.kind][1]
    detail = errors_pb2.ErrorDetail(kind=err.kind, message=err.message, daemon_code=err.daemon_code,
                                    daemon_message=err.daemon_message).SerializeToString()
    status = wire.encode_status(code.value[0], err.message, [(wire.ERROR_DETAIL_TYPE, detail)])
    return _Status(code, err.message, (("grpc-status-details-bin", status),))


def from_rpc_error(err, errors_pb2):
    """The AmberError for a failed host call (grpc.RpcError): the
    ErrorDetail's kind when the status carries one, else the code's."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = err.details() if hasattr(err, "details") else str(err)
    for key, value in (err.trailing_metadata() or ()) if hasattr(err, "trailing_metadata") else ():
        if key != "grpc-status-details-bin":
            continue
        try:
            _, _, details = wire.decode_status(value)
        except ValueError:
            break
        for type_url, payload in details:
            if type_url == wire.ERROR_DETAIL_TYPE:
                d = errors_pb2.ErrorDetail.FromString(payload)
                return AmberError(d.kind, d.message or message, d.daemon_code, d.daemon_message)
    return AmberError(kind_for_code(code), message or str(code))
