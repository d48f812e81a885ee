package sdktest_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
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
