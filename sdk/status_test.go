package sdk

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	spb "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// TestToStatusCodes: every kind leaves with the gRPC code of its table row.
func TestToStatusCodes(t *testing.T) {
	for _, row := range kindTable {
		t.Run(row.name, func(t *testing.T) {
			err := toStatus(&Error{Kind: row.kind, Message: "m"})
			if got := status.Code(err); got != row.grpc {
				t.Errorf("code %v, want %v", got, row.grpc)
			}
			back := fromStatus(err)
			if KindOf(back) != row.kind {
				t.Errorf("back: kind %v, want %v", KindOf(back), row.kind)
			}
		})
	}
	if toStatus(nil) != nil || fromStatus(nil) != nil {
		t.Error("nil must stay nil")
	}
}

// TestFromStatus covers statuses the plugin did not build with toStatus.
func TestFromStatus(t *testing.T) {
	withDetail := func(c codes.Code, d *pluginv1.ErrorDetail) error {
		st, err := status.New(c, "status text").WithDetails(d)
		if err != nil {
			t.Fatal(err)
		}
		return st.Err()
	}
	tests := []struct {
		name     string
		in       error
		wantKind Kind
		wantText string // substring
	}{
		{"bare unavailable", status.Error(codes.Unavailable, "connection refused"), KindUnavailable, "connection refused"},
		{"bare canceled", status.Error(codes.Canceled, "context canceled"), KindUnavailable, "canceled"},
		{"bare unimplemented", status.Error(codes.Unimplemented, "unknown method Tip"), KindUnimplemented, "unknown method"},
		{"bare deadline", status.Error(codes.DeadlineExceeded, "deadline"), KindTimeout, "deadline"},
		{"bare not found", status.Error(codes.NotFound, "nope"), KindNotFound, "nope"},
		{"bare unknown code", status.Error(codes.DataLoss, "lost"), KindInternal, "lost"},
		{"too large", status.Error(codes.ResourceExhausted, "grpc: received message larger than max (70000000 vs. 67108864)"),
			KindInternal, "exceeds the 64 MiB limit"},
		{"detail wins over code", withDetail(codes.Internal, &pluginv1.ErrorDetail{Kind: int32(KindNotFound), Message: "no block"}),
			KindNotFound, "no block"},
		{"unknown kind falls back to code", withDetail(codes.FailedPrecondition, &pluginv1.ErrorDetail{Kind: 99, Message: "future"}),
			KindRejected, "future"},
		{"not a status", errors.New("plain"), KindInternal, "plain"},
		{"context deadline", context.DeadlineExceeded, KindTimeout, "deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromStatus(tt.in)
			var e *Error
			if !errors.As(got, &e) {
				t.Fatalf("got %T, want *Error", got)
			}
			if e.Kind != tt.wantKind {
				t.Errorf("kind %v, want %v", e.Kind, tt.wantKind)
			}
			if !strings.Contains(got.Error(), tt.wantText) {
				t.Errorf("text %q lacks %q", got.Error(), tt.wantText)
			}
		})
	}
}

// TestToStatusKeepsForeignStatus: a status error from a plugin's own gRPC
// client keeps the kind of its code.
func TestToStatusKeepsForeignStatus(t *testing.T) {
	err := fromStatus(toStatus(status.Error(codes.NotFound, "upstream: no such block")))
	if KindOf(err) != KindNotFound || !strings.Contains(err.Error(), "no such block") {
		t.Errorf("got %v (kind %v)", err, KindOf(err))
	}
}

// FuzzFromStatus decodes arbitrary google.rpc.Status messages: fromStatus
// must never panic and must always yield an *Error whose kind is in the
// table; a well-formed ErrorDetail of a known kind must survive unchanged.
func FuzzFromStatus(f *testing.F) {
	for _, row := range kindTable {
		st, _ := status.FromError(toStatus(&Error{Kind: row.kind, Message: "seed", DaemonCode: -5, DaemonMessage: "x"}))
		b, err := proto.Marshal(st.Proto())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x0e, 0x12, 0x03, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, data []byte) {
		var sp spb.Status
		if err := proto.Unmarshal(data, &sp); err != nil {
			return
		}
		in := status.ErrorProto(&sp)
		got := fromStatus(in)
		if in == nil {
			if got != nil {
				t.Fatalf("nil status gave %v", got)
			}
			return
		}
		var e *Error
		if !errors.As(got, &e) {
			t.Fatalf("got %T, want *Error", got)
		}
		if !e.Kind.known() {
			t.Fatalf("kind %d not in the table", e.Kind)
		}
		_ = e.Error()
		for _, d := range status.Convert(in).Details() {
			if ed, ok := d.(*pluginv1.ErrorDetail); ok {
				if Kind(ed.Kind).known() && (e.Kind != Kind(ed.Kind) || e.Message != ed.Message || e.DaemonMessage != ed.DaemonMessage) {
					t.Fatalf("detail %v decoded as %+v", ed, e)
				}
				break
			}
		}
	})
}

// FuzzErrorRoundTrip: any *Error of a known kind survives toStatus/fromStatus.
func FuzzErrorRoundTrip(f *testing.F) {
	f.Add(int32(1), "daemon error", int64(-25), "bad-txns-inputs-missingorspent")
	f.Add(int32(4), "bad config key rpc.url", int64(0), "")
	f.Add(int32(42), "", int64(7), "\xff")
	f.Fuzz(func(t *testing.T, kind int32, msg string, dcode int64, dmsg string) {
		in := &Error{Kind: Kind(kind), Message: msg, DaemonCode: int(dcode), DaemonMessage: dmsg}
		var got *Error
		if !errors.As(fromStatus(toStatus(in)), &got) {
			t.Fatal("not an *Error")
		}
		if !got.Kind.known() {
			t.Fatalf("kind %d not in the table", got.Kind)
		}
		if in.Kind.known() && got.Kind != in.Kind {
			t.Fatalf("kind %v became %v", in.Kind, got.Kind)
		}
		if want := strings.ToValidUTF8(msg, "\uFFFD"); got.Message != want {
			t.Fatalf("message %q became %q", want, got.Message)
		}
		if want := strings.ToValidUTF8(dmsg, "\uFFFD"); got.DaemonMessage != want || got.DaemonCode != int(dcode) {
			t.Fatalf("daemon error %d %q became %d %q", dcode, want, got.DaemonCode, got.DaemonMessage)
		}
	})
}
