package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// toStatus converts an error returned by a plugin implementation into a gRPC
// status error carrying an ErrorDetail, using the kind table (Kind.Info) for
// the status code. nil stays nil. An *Error anywhere in err's chain gives the
// kind and daemon fields; a context deadline gives KindTimeout; a gRPC status
// error without an *Error keeps its code's kind (kindForGRPCCode); anything
// else is KindInternal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	d := &pluginv1.ErrorDetail{Kind: int32(KindInternal), Message: err.Error()}
	var e *Error
	switch {
	case errors.As(err, &e):
		d.Kind = int32(e.Kind)
		d.DaemonCode = int64(e.DaemonCode)
		d.DaemonMessage = e.DaemonMessage
		d.Message = wireMessage(e)
	case errors.Is(err, context.DeadlineExceeded):
		d.Kind = int32(KindTimeout)
	default:
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
			d.Kind = int32(kindForGRPCCode(st.Code()))
			d.Message = st.Message()
		}
	}
	// proto3 strings must be UTF-8, or the detail would not marshal.
	d.Message = strings.ToValidUTF8(d.Message, "\uFFFD")
	d.DaemonMessage = strings.ToValidUTF8(d.DaemonMessage, "\uFFFD")
	st := status.New(Kind(d.Kind).row().grpc, d.Message)
	if withDetail, derr := st.WithDetails(d); derr == nil {
		st = withDetail
	}
	return st.Err()
}

// wireMessage is the text the host shows for e: its Message, with the cause's
// text appended when Message does not already contain it (Errorf's messages
// do); the cause itself does not cross the wire.
func wireMessage(e *Error) string {
	if e.Kind != KindDaemon && e.Err != nil && !strings.Contains(e.Message, e.Err.Error()) {
		return e.Error()
	}
	return e.Message
}

// fromStatus converts an error returned by a gRPC call to a plugin back into
// an *Error. nil stays nil. A status carrying an ErrorDetail gives that
// detail's kind, message and daemon fields (an unknown kind number falls back
// to the kind of the status code). A status without a detail (a transport
// failure, a call the plugin does not implement, an oversized message) gives
// kindForGRPCCode of its code and keeps the status error as Err. A non-status
// error is returned as an *Error of KindOf(err) wrapping it.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Kind: KindOf(err), Message: err.Error(), Err: err}
	}
	if st.Code() == codes.OK {
		return &Error{Kind: KindInternal, Message: "plugin returned an error with status OK"}
	}
	for _, d := range st.Details() {
		ed, ok := d.(*pluginv1.ErrorDetail)
		if !ok {
			continue
		}
		k := Kind(ed.GetKind())
		if !k.known() {
			k = kindForGRPCCode(st.Code())
		}
		return &Error{
			Kind:          k,
			Message:       ed.GetMessage(),
			DaemonCode:    int(ed.GetDaemonCode()),
			DaemonMessage: ed.GetDaemonMessage(),
		}
	}
	msg := st.Message()
	if st.Code() == codes.ResourceExhausted && strings.Contains(msg, "larger than max") {
		msg = fmt.Sprintf("plugin message exceeds the %d MiB limit (sdk.MaxMessageSize): %s",
			wire.MaxMessageSize>>20, msg)
	}
	return &Error{Kind: kindForGRPCCode(st.Code()), Message: msg, Err: st.Err()}
}

// known reports whether k is a row of the kind table.
func (k Kind) known() bool {
	for _, r := range kindTable {
		if r.kind == k {
			return true
		}
	}
	return false
}
