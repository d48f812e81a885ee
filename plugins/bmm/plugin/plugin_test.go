package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/internal/testchain"
	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	sdktest.ConformMethods(t, sdktest.NewMethods(t, New(nil)))
}

func TestDescribe(t *testing.T) {
	mc := sdktest.NewMethods(t, New(nil))
	d, err := mc.Describe(context.Background())
	if err != nil || d.Name != Name || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) {
		t.Fatalf("Describe = %+v, %v", d, err)
	}
	specs, err := mc.Methods(context.Background())
	if err != nil || len(specs) != 1 || specs[0].Name != Method || specs[0].MinArgs != 2 || specs[0].MaxArgs != 2 || specs[0].Cost != 1.0 {
		t.Fatalf("Methods = %+v, %v", specs, err)
	}
}

// TestEndToEnd runs the plugin over the SDK wire with a fake host (the
// sidechain) and a fake mainchain node behind a loopback JSON-RPC server.
func TestEndToEnd(t *testing.T) {
	const sc = 3
	host := sdktest.NewFakeHost(6)
	txs := []sdk.Hash{{1}, {2}, {3}}
	host.BlockTxs[4] = txs
	main := testchain.NewFake()
	srv := httptest.NewServer(main.Handler())
	defer srv.Close()
	main.Mine()
	main.Mine(bip301.Accept{Sidechain: sc, HStar: [32]byte(host.Chain[4].Hash)})

	mc := sdktest.NewMethods(t, New(nil), sdktest.WithHost(host))
	cfg := fmt.Sprintf(`{"mainchain_url":"u:p@%s","sidechain_number":%d,"start_height":1,"db_path":%q,"poll_interval":"20ms","mainchain_timeout":"1s"}`,
		srv.Listener.Addr(), sc, filepath.Join(t.TempDir(), "bmm.db"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := mc.Configure(ctx, []byte(cfg)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	call := func(txid sdk.Hash, height int64) (json.RawMessage, error) {
		params := fmt.Sprintf(`[%q, %d]`, txid, height)
		return mc.Call(ctx, Method, json.RawMessage(params), sdk.SessionInfo{ID: 1, Protocol: "1.4"})
	}

	// The follower runs in the background: wait for the commitment.
	var raw json.RawMessage
	var err error
	for raw, err = call(txs[1], 4); err != nil; raw, err = call(txs[1], 4) {
		if sdk.KindOf(err) != sdk.KindInvalidArgument || ctx.Err() != nil {
			t.Fatalf("Call: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var r proof.Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	mainHash, _ := main.BlockHash(ctx, 2)
	if r.Pos != 1 || r.BlockHeight != 4 || len(r.Merkle) != 2 || r.BMM.CriticalHash != host.Chain[4].Hash.String() ||
		r.BMM.MainHeight != 2 || r.BMM.MainBlockHash != mainHash.String() || r.BMM.SidechainNumber != sc {
		t.Fatalf("result %s", raw)
	}

	// Errors keep their kinds and messages across the wire.
	_, err = call(sdk.Hash{9}, 4)
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), "not in block at height 4") {
		t.Fatalf("tx not in block: %v", err)
	}
	host.BlockTxs[5] = txs
	_, err = call(txs[0], 5)
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), host.Chain[5].Hash.String()) {
		t.Fatalf("no accept: %v", err)
	}
	_, err = call(txs[0], 60)
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), "not on disk") {
		t.Fatalf("beyond the tip: %v", err)
	}
	srv.Close() // mainchain gone
	_, err = call(txs[1], 4)
	if k := sdk.KindOf(err); k != sdk.KindUnavailable && k != sdk.KindDaemon {
		t.Fatalf("mainchain down: %v (kind %v)", err, k)
	}
	// Once the follower's poll has failed, requests fail at once, naming it.
	for !strings.Contains(fmt.Sprint(err), "mainchain node is down") {
		if k := sdk.KindOf(err); (k != sdk.KindUnavailable && k != sdk.KindDaemon) || ctx.Err() != nil {
			t.Fatalf("mainchain down: %v (kind %v)", err, k)
		}
		time.Sleep(20 * time.Millisecond)
		_, err = call(txs[1], 4)
	}
	if sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("known down: %v", err)
	}
	if err := mc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := call(txs[1], 4); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("after Shutdown: %v", err)
	}
}

func TestConfigureWithoutHost(t *testing.T) {
	p := New(nil)
	cfg := `{"mainchain_url":"u:p@127.0.0.1:1","sidechain_number":1,"db_path":"x"}`
	if err := p.Configure(context.Background(), []byte(cfg)); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("Configure without host: %v", err)
	}
	if err := p.Configure(context.Background(), []byte(`{"x":1}`)); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Fatalf("bad config: %v", err)
	}
}
