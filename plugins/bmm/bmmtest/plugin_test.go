package bmmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/plugin"
	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// nodeHost is an sdk.Host over node S with what the BMM plugin uses:
// Tip, Headers and TxMerkle (amberd's index stands in for it).
type nodeHost struct{ side nodeSide }

func (h nodeHost) Tip(ctx context.Context) (sdk.Head, error) {
	n, err := h.side.n.GetBlockCount(ctx)
	if err != nil {
		return sdk.Head{}, err
	}
	hash, err := h.side.n.GetBlockHash(ctx, n)
	return sdk.Head{Height: n, Hash: hash}, err
}

func (h nodeHost) Headers(ctx context.Context, start int64, count int) ([][]byte, error) {
	tip, err := h.Tip(ctx)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for i := start; i <= tip.Height && len(out) < count; i++ {
		hdr, err := h.side.Header(ctx, i)
		if err != nil {
			return nil, err
		}
		out = append(out, hdr)
	}
	return out, nil
}

func (h nodeHost) TxMerkle(ctx context.Context, txid sdk.Hash, height int64) (sdk.TxMerkle, error) {
	br, pos, err := h.side.TxMerkle(ctx, txid, height)
	if err != nil {
		return sdk.TxMerkle{}, err
	}
	hs, err := merkle.ParseDisplay(br)
	return sdk.TxMerkle{Pos: pos, Branch: hs}, err
}

func (nodeHost) History(context.Context, sdk.Hash, string, int) ([]sdk.HistoryEntry, string, error) {
	return nil, "", sdk.Errorf(sdk.KindUnimplemented, "not in this test host")
}

func (nodeHost) Unspent(context.Context, sdk.Hash) ([]sdk.UTXO, error) {
	return nil, sdk.Errorf(sdk.KindUnimplemented, "not in this test host")
}

func (nodeHost) Events(ctx context.Context, _ func(sdk.BlockEvent) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestPluginOverTheWire runs the plugin through the SDK's gRPC wire with
// host services backed by node S and mainchain_url pointing at node M.
func TestPluginOverTheWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	S := regtest.StartTestNode(t, regtest.NodeOptions{})
	M := regtest.StartTestNode(t, regtest.NodeOptions{})
	w := regtest.NewWallet(5, &chaincfg.RegressionNetParams)
	if _, err := regtest.Generate(ctx, S, w, regtest.Spec{
		Seed: 5, Blocks: 102, TxPerBlock: 3, Scripts: 4, Types: []regtest.ScriptType{regtest.P2PKH},
	}); err != nil {
		t.Fatal(err)
	}
	sh, _ := S.GetBlockHash(ctx, 102)
	sb, err := S.GetBlock(ctx, sh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := M.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mainHash := submit(t, ctx, M, 1, bip301.Raw, bip301.Accept{Sidechain: sidechainNumber, HStar: [32]byte(sh)})

	mc := sdktest.NewMethods(t, plugin.New(nil), sdktest.WithHost(nodeHost{nodeSide{S}}))
	cfg := fmt.Sprintf(`{"mainchain_url":%q,"sidechain_number":%d,"start_height":1,"db_path":%q,"poll_interval":"50ms"}`,
		M.URL(), sidechainNumber, filepath.Join(t.TempDir(), "bmm.db"))
	if err := mc.Configure(ctx, []byte(cfg)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { mc.Shutdown(context.Background()) })

	txid := sdk.Hash(sb.Transactions[2].TxHash())
	params := json.RawMessage(fmt.Sprintf(`[%q, 102]`, txid))
	var raw json.RawMessage
	for {
		raw, err = mc.Call(ctx, plugin.Method, params, sdk.SessionInfo{ID: 1, Protocol: "1.4"})
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "no BMM Accept") || ctx.Err() != nil {
			t.Fatalf("Call: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the follower has not reached the commitment yet
	}
	var res proof.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	hdr, _ := nodeSide{S}.Header(ctx, 102)
	if err := proof.Verify(&res, txid, hdr, sidechainNumber); err != nil {
		t.Fatal(err)
	}
	if res.BMM.MainBlockHash != mainHash.String() || res.BMM.MainHeight != 3 || res.Pos != 2 {
		t.Fatalf("result %s", raw)
	}
	// Beyond amberd's tip: get_merkle's not-on-disk error through the wire.
	_, err = mc.Call(ctx, plugin.Method, json.RawMessage(fmt.Sprintf(`[%q, 500]`, txid)), sdk.SessionInfo{})
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), "block 500 not on disk (>102)") {
		t.Fatalf("beyond the tip: %v", err)
	}
}
