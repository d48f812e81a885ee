package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// newPair returns two identical fakes: one to call directly, one served
// through the real wire, and the adapter in front of the latter.
func newPair(t *testing.T) (direct, served *sdktest.Fake, wire sdk.ChainBackend) {
	t.Helper()
	setup := func() *sdktest.Fake {
		f := sdktest.NewFake(6)
		f.AddMempoolTx([]byte{0x02, 0x00, 0x00, 0x00, 0x01})
		f.AddMempoolTx([]byte{0x01, 0x00, 0x00, 0x00, 0x00, 0xff})
		return f
	}
	direct, served = setup(), setup()
	return direct, served, sdktest.NewChain(t, served)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestRoundTrip calls every ChainBackend method on a fake directly and through
// the wire and requires identical results and identical side effects.
func TestRoundTrip(t *testing.T) {
	mempool := sdktest.NewFake(0)
	tx1 := mempool.AddMempoolTx([]byte{0x02, 0x00, 0x00, 0x00, 0x01})
	missing := sdktest.DoubleSHA256([]byte("missing"))

	tests := []struct {
		name string
		call func(ctx context.Context, b sdk.ChainBackend) (any, error)
	}{
		{"Describe", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.Describe(ctx) }},
		{"Configure", func(ctx context.Context, b sdk.ChainBackend) (any, error) {
			return nil, b.Configure(ctx, []byte(`{"url":"http://127.0.0.1:1"}`))
		}},
		{"Tip", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.Tip(ctx) }},
		{"BlockHashes", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.BlockHashes(ctx, 1, 3) }},
		{"BlockHashesPastTip", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.BlockHashes(ctx, 4, 10) }},
		{"Blocks", func(ctx context.Context, b sdk.ChainBackend) (any, error) {
			var got []sdk.Block
			err := b.Blocks(ctx, 2, 3, func(bl sdk.Block) error { got = append(got, bl); return nil })
			return got, err
		}},
		{"TransactionFound", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.Transaction(ctx, tx1, true) }},
		{"TransactionMissing", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.Transaction(ctx, missing, false) }},
		{"Broadcast", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.Broadcast(ctx, "0100000000") }},
		{"BroadcastRejected", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.Broadcast(ctx, "zz") }},
		{"MempoolTxids", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.MempoolTxids(ctx) }},
		{"MempoolTransactions", func(ctx context.Context, b sdk.ChainBackend) (any, error) {
			return b.MempoolTransactions(ctx, []sdk.Hash{missing, tx1, missing})
		}},
		{"MempoolTransactionsNone", func(ctx context.Context, b sdk.ChainBackend) (any, error) {
			return b.MempoolTransactions(ctx, nil)
		}},
		{"RelayFee", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.RelayFee(ctx) }},
		{"EstimateFee", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.EstimateFee(ctx, 6, "ECONOMICAL") }},
		{"EstimateFeeInvalid", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.EstimateFee(ctx, 0, "") }},
		{"DaemonInfo", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return b.DaemonInfo(ctx) }},
		{"SetDaemonURLs", func(ctx context.Context, b sdk.ChainBackend) (any, error) {
			return nil, b.SetDaemonURLs(ctx, []string{"http://u:p@127.0.0.1:18443", "http://127.0.0.1:18444"})
		}},
		{"Shutdown", func(ctx context.Context, b sdk.ChainBackend) (any, error) { return nil, b.Shutdown(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			direct, served, wire := newPair(t)
			want, wantErr := tt.call(testCtx(t), direct)
			got, gotErr := tt.call(testCtx(t), wire)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("through the wire: %#v\ndirect: %#v", got, want)
			}
			if (gotErr == nil) != (wantErr == nil) || sdk.KindOf(gotErr) != sdk.KindOf(wantErr) {
				t.Fatalf("error through the wire: %v (kind %v); direct: %v (kind %v)",
					gotErr, sdk.KindOf(gotErr), wantErr, sdk.KindOf(wantErr))
			}
			if wantErr != nil && gotErr.Error() != wantErr.Error() {
				t.Errorf("error text through the wire %q, direct %q", gotErr, wantErr)
			}
			direct.Lock()
			served.Lock()
			defer direct.Unlock()
			defer served.Unlock()
			state := func(f *sdktest.Fake) any { return []any{f.Config, f.URLs, f.Closed, f.Sent} }
			if !reflect.DeepEqual(state(served), state(direct)) {
				t.Errorf("side effects through the wire %v, direct %v", state(served), state(direct))
			}
		})
	}
}

// TestRoundTripHashOrder checks that hashes keep internal byte order.
func TestRoundTripHashOrder(t *testing.T) {
	f := sdktest.NewFake(1)
	var h sdk.Hash
	for i := range h {
		h[i] = byte(i)
	}
	f.Chain[0].Hash = h
	tip, err := sdktest.NewChain(t, f).Tip(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if tip.Hash != h || tip.Hash.String()[:2] != "1f" {
		t.Errorf("tip hash %x (%s), want %x", tip.Hash[:], tip.Hash, h[:])
	}
}

// TestErrorKindsRoundTrip sends an error of every kind in the table through
// the wire and requires the kind and all wire fields to arrive.
func TestErrorKindsRoundTrip(t *testing.T) {
	for _, kind := range sdk.Kinds() {
		t.Run(kind.String(), func(t *testing.T) {
			f := sdktest.NewFake(3)
			sent := &sdk.Error{Kind: kind, Message: "boom " + kind.String(), DaemonCode: -26, DaemonMessage: "dm " + kind.String()}
			f.Fail = map[string]error{"Tip": fmt.Errorf("wrapped: %w", sent)}
			_, err := sdktest.NewChain(t, f).Tip(testCtx(t))
			var got *sdk.Error
			if !errors.As(err, &got) {
				t.Fatalf("got %T %v, want *sdk.Error", err, err)
			}
			if got.Kind != kind || got.DaemonCode != sent.DaemonCode || got.DaemonMessage != sent.DaemonMessage || got.Message != sent.Message {
				t.Errorf("got %+v, want %+v", got, sent)
			}
			if got.Error() != sent.Error() {
				t.Errorf("Error() = %q, want %q", got.Error(), sent.Error())
			}
		})
	}
}

// TestNonSDKErrors checks errors that are not *sdk.Error.
func TestNonSDKErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantKind sdk.Kind
		wantText string
	}{
		{"plain", errors.New("disk on fire"), sdk.KindInternal, "disk on fire"},
		{"deadline", fmt.Errorf("rpc: %w", context.DeadlineExceeded), sdk.KindTimeout, "rpc: context deadline exceeded"},
		{"cause kept in text", sdk.Errorf(sdk.KindUnavailable, "dial daemon: %w", errors.New("connection refused")),
			sdk.KindUnavailable, "dial daemon: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sdktest.NewFake(1)
			f.Fail = map[string]error{"RelayFee": tt.err}
			_, err := sdktest.NewChain(t, f).RelayFee(testCtx(t))
			if sdk.KindOf(err) != tt.wantKind {
				t.Errorf("kind %v, want %v (%v)", sdk.KindOf(err), tt.wantKind, err)
			}
			if err == nil || err.Error() != tt.wantText {
				t.Errorf("text %v, want %q", err, tt.wantText)
			}
		})
	}
}

// streamer streams blocks forever and reports how its Blocks call ended.
type streamer struct {
	*sdktest.Fake
	ended chan error
}

func (s *streamer) Blocks(ctx context.Context, start int64, _ int, yield func(sdk.Block) error) error {
	for h := start; ; h++ {
		if err := yield(sdk.Block{Height: h, Hash: sdk.Hash{1}, Raw: []byte{byte(h)}}); err != nil {
			s.ended <- err
			return err
		}
		if err := ctx.Err(); err != nil {
			s.ended <- err
			return err
		}
	}
}

// TestBlocksEarlyStop: a yield error stops the stream on both sides.
func TestBlocksEarlyStop(t *testing.T) {
	s := &streamer{Fake: sdktest.NewFake(0), ended: make(chan error, 1)}
	wire := sdktest.NewChain(t, s)
	stop := errors.New("enough")
	var heights []int64
	err := wire.Blocks(testCtx(t), 7, 1000000, func(b sdk.Block) error {
		heights = append(heights, b.Height)
		if len(heights) == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Blocks returned %v, want the yield error", err)
	}
	if !reflect.DeepEqual(heights, []int64{7, 8, 9}) {
		t.Errorf("heights %v, want [7 8 9]", heights)
	}
	select {
	case serverErr := <-s.ended:
		if serverErr == nil {
			t.Errorf("plugin-side Blocks ended without error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("plugin-side Blocks still streaming after the host stopped")
	}
}
