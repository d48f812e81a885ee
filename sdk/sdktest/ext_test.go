package sdktest_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"runtime"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// plain hides the fake's optional methods: only sdk.ChainBackend is left.
type plain struct{ sdk.ChainBackend }

// TestOptionalOverWire: BroadcastPackage and MempoolInfo survive the gRPC
// round trip, and a plugin without them answers KindUnimplemented.
func TestOptionalOverWire(t *testing.T) {
	fake := sdktest.NewFake(3)
	parent, child := hex.EncodeToString([]byte{1, 2, 3}), hex.EncodeToString([]byte{4, 5})
	fake.Rejects[child] = "min relay fee not met"
	fake.MempoolFee = sdk.MempoolInfo{MempoolMinFee: 0.0002, MinRelayTxFee: 0.0001, IncrementalRelayFee: 0.00005}
	wired := sdktest.NewChain(t, fake)

	pb, ok := wired.(sdk.PackageBroadcaster)
	if !ok {
		t.Fatalf("client adapter %T is not a PackageBroadcaster", wired)
	}
	res, err := pb.BroadcastPackage(t.Context(), []string{parent, child})
	if err != nil {
		t.Fatal(err)
	}
	childID := sdktest.DoubleSHA256([]byte{4, 5}).String()
	if res.Success || len(res.Errors) != 1 || res.Errors[0] != (sdk.PackageTxError{Txid: childID, Error: "min relay fee not met"}) {
		t.Fatalf("result %+v", res)
	}
	var js struct {
		Msg     string                    `json:"package_msg"`
		Results map[string]map[string]any `json:"tx-results"`
	}
	if err := json.Unmarshal(res.JSON, &js); err != nil || js.Msg != "transaction failed" || len(js.Results) != 2 {
		t.Fatalf("JSON %s: %v", res.JSON, err)
	}
	if len(fake.Sent) != 1 || fake.Sent[0] != parent || len(fake.Packages) != 1 {
		t.Fatalf("sent %v packages %v", fake.Sent, fake.Packages)
	}

	_, err = pb.BroadcastPackage(t.Context(), []string{"zz"})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindRejected || e.DaemonCode != -22 {
		t.Fatalf("undecodable package: %#v", err)
	}

	mi, ok := wired.(sdk.MempoolInfoer)
	if !ok {
		t.Fatalf("client adapter %T is not a MempoolInfoer", wired)
	}
	if info, err := mi.MempoolInfo(t.Context()); err != nil || info != fake.MempoolFee {
		t.Fatalf("MempoolInfo = %+v, %v", info, err)
	}

	fake.Lock()
	fake.Fail = map[string]error{"MempoolInfo": sdk.Errorf(sdk.KindUnavailable, "daemon down")}
	fake.Unlock()
	if _, err := mi.MempoolInfo(t.Context()); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("forced error: %v", err)
	}

	bare := sdktest.NewChain(t, plain{sdktest.NewFake(2)})
	if _, err := bare.(sdk.PackageBroadcaster).BroadcastPackage(t.Context(), []string{parent}); sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("BroadcastPackage on a plain backend: %v, want unimplemented", err)
	}
	if _, err := bare.(sdk.MempoolInfoer).MempoolInfo(t.Context()); sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("MempoolInfo on a plain backend: %v, want unimplemented", err)
	}
}

// TestWatchChainOverWire: chain events cross the gRPC stream in order,
// mempool events only when asked; cancelling ends the watch with nil; a
// failing watch reports its kind; a plugin without it is unimplemented.
func TestWatchChainOverWire(t *testing.T) {
	fake := sdktest.NewFake(3)
	wired := sdktest.NewChain(t, fake)
	w, ok := wired.(sdk.ChainWatcher)
	if !ok {
		t.Fatalf("client adapter %T is not a ChainWatcher", wired)
	}
	tip := fake.Chain[2]
	sent := []sdk.ChainEvent{
		{Kind: sdk.EventMempool, Hash: sdktest.DoubleSHA256([]byte{9})},
		{Kind: sdk.EventBlock, Height: tip.Height, Hash: tip.Hash},
		{Kind: sdk.EventBlock},
	}
	for _, mempool := range []bool{true, false} {
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan sdk.ChainEvent, 8)
		done := make(chan error, 1)
		go func() { done <- w.WatchChain(ctx, mempool, func(ev sdk.ChainEvent) { got <- ev }) }()
		for fake.Watching() == 0 {
			runtime.Gosched()
		}
		fake.Publish(sdk.ChainEvent{}) // no kind: the client drops it
		for _, ev := range sent {
			fake.Publish(ev)
		}
		want := sent
		if !mempool {
			want = sent[1:]
		}
		for i, ev := range want {
			if g := <-got; g != ev {
				t.Errorf("mempool=%v: event %d = %+v, want %+v", mempool, i, g, ev)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchChain after cancel = %v, want nil", err)
		}
		for fake.Watching() != 0 { // the plugin side ends after the client
			runtime.Gosched()
		}
	}

	fake.Lock()
	fake.Fail = map[string]error{"WatchChain": sdk.Errorf(sdk.KindUnavailable, "websocket closed")}
	fake.Unlock()
	if err := w.WatchChain(t.Context(), false, func(sdk.ChainEvent) {}); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("failing watch: %v, want unavailable", err)
	}

	bare := sdktest.NewChain(t, plain{sdktest.NewFake(2)})
	if err := bare.(sdk.ChainWatcher).WatchChain(t.Context(), false, func(sdk.ChainEvent) {}); sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("WatchChain on a plain backend: %v, want unimplemented", err)
	}
}
