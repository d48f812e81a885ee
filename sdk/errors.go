package sdk

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
)

// Kind classifies a plugin error. Kinds travel in the gRPC status details,
// so the host sees the same Kind the plugin returned.
type Kind int32

// Error kinds. The numeric values are part of the wire contract.
const (
	KindInternal        Kind = 0 // a bug or an unexpected failure
	KindDaemon          Kind = 1 // the daemon answered with an RPC error (DaemonCode/DaemonMessage set)
	KindUnavailable     Kind = 2 // the daemon (or the plugin) cannot be reached
	KindRejected        Kind = 3 // the daemon rejected a broadcast transaction
	KindInvalidArgument Kind = 4 // bad request parameters or bad configuration
	KindNotFound        Kind = 5 // the requested object does not exist
	KindUnimplemented   Kind = 6 // the plugin does not support this call
	KindTimeout         Kind = 7 // the call's deadline expired
)

// kindRow is one row of the wire table: a kind's name and the gRPC status
// code it travels with. amberd's mapping of kinds to Electrum error codes
// is sdk/hostside's (hostside.KindTable).
type kindRow struct {
	kind Kind
	name string
	grpc codes.Code
}

// kindTable is the one table that maps SDK error kinds to gRPC status
// codes; both ends of the plugin connection read it.
var kindTable = []kindRow{
	{KindInternal, "internal", codes.Internal},
	{KindDaemon, "daemon", codes.Aborted},
	{KindUnavailable, "unavailable", codes.Unavailable},
	{KindRejected, "rejected", codes.FailedPrecondition},
	{KindInvalidArgument, "invalid-argument", codes.InvalidArgument},
	{KindNotFound, "not-found", codes.NotFound},
	{KindUnimplemented, "unimplemented", codes.Unimplemented},
	{KindTimeout, "timeout", codes.DeadlineExceeded},
}

// Kinds returns every error kind, in the order of their values.
func Kinds() []Kind {
	ks := make([]Kind, len(kindTable))
	for i, r := range kindTable {
		ks[i] = r.kind
	}
	return ks
}

// row returns the table row for k (KindInternal's row for unknown kinds).
func (k Kind) row() kindRow {
	for _, r := range kindTable {
		if r.kind == k {
			return r
		}
	}
	return kindTable[0]
}

// String returns the kind's name ("unavailable"); an unknown kind is
// "internal".
func (k Kind) String() string { return k.row().name }

// kindForGRPCCode returns the kind for a bare gRPC code (a status without
// details, e.g. from a dead connection).
func kindForGRPCCode(c codes.Code) Kind {
	switch c {
	case codes.Unavailable, codes.Canceled:
		return KindUnavailable
	case codes.DeadlineExceeded:
		return KindTimeout
	case codes.Unimplemented:
		return KindUnimplemented
	}
	for _, r := range kindTable {
		if r.grpc == c {
			return r.kind
		}
	}
	return KindInternal
}

// Error is the error type plugins return and hosts receive.
type Error struct {
	Kind    Kind
	Message string
	// DaemonCode and DaemonMessage carry the daemon's JSON-RPC error for
	// KindDaemon and KindRejected.
	DaemonCode    int
	DaemonMessage string
	// Err is the underlying cause on the side that created the error; it does
	// not cross the wire.
	Err error
}

func (e *Error) Error() string {
	switch {
	case e.Kind == KindDaemon:
		return fmt.Sprintf("daemon error: {'code': %d, 'message': '%s'}", e.DaemonCode, e.DaemonMessage)
	case e.Message != "":
		// Errorf already put the wrapped cause's text in Message.
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k with a formatted message. A %w verb wraps
// its operand as Err.
func Errorf(k Kind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: k, Message: err.Error(), Err: errors.Unwrap(err)}
}

// DaemonError returns a KindDaemon error for a daemon JSON-RPC error object.
func DaemonError(code int, message string) *Error {
	return &Error{Kind: KindDaemon, DaemonCode: code, DaemonMessage: message,
		Message: fmt.Sprintf("daemon error %d: %s", code, message)}
}

// KindOf returns the Kind of err: the Kind of the first *Error in its chain,
// KindTimeout for context deadline errors, KindInternal otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	return KindInternal
}
