package chainbackend

import (
	"bytes"
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// spend returns a signed transaction spending prev:0 (paying the mining
// key's P2PKH script) to the same script, value sat.
func spend(t *testing.T, prev chainhash.Hash, pkScript []byte, value int64) (*wire.MsgTx, string) {
	t.Helper()
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&prev, 0), nil, nil))
	tx.AddTxOut(wire.NewTxOut(value, pkScript))
	sig, err := txscript.SignatureScript(tx, 0, pkScript, txscript.SigHashAll, priv, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].SignatureScript = sig
	var buf bytes.Buffer
	_ = tx.Serialize(&buf)
	return tx, hex.EncodeToString(buf.Bytes())
}

// checkBtcdPackage runs BroadcastPackage (the sequential fallback, btcd has
// no submitpackage) and MempoolInfo against a real btcd: a parent spending
// the coinbase of block 1 and its child, resubmitted (already known), then a
// conflicting package.
func checkBtcdPackage(t *testing.T, ctx context.Context, b *Backend, coinbase *wire.MsgTx) {
	t.Helper()
	var generated []string
	if err := b.call(ctx, &generated, "generate", 100); err != nil || len(generated) != 100 {
		t.Fatalf("generate 100: %v", err)
	}
	out := coinbase.TxOut[0]
	parent, parentHex := spend(t, coinbase.TxHash(), out.PkScript, out.Value-100_000)
	child, childHex := spend(t, parent.TxHash(), out.PkScript, out.Value-200_000)
	res, err := b.BroadcastPackage(ctx, []string{parentHex, childHex})
	if err != nil || !res.Success || len(res.Errors) != 0 {
		t.Fatalf("BroadcastPackage(parent, child) = %+v, %v", res, err)
	}
	ids, err := b.MempoolTxids(ctx)
	if err != nil || len(ids) != 2 || !slices.Contains(ids, sdk.Hash(parent.TxHash())) || !slices.Contains(ids, sdk.Hash(child.TxHash())) {
		t.Fatalf("mempool after the package: %v, %v", ids, err)
	}
	if res, err := b.BroadcastPackage(ctx, []string{parentHex, childHex}); err != nil || !res.Success {
		t.Fatalf("resubmitted package = %+v, %v", res, err)
	}
	// A second spend of the coinbase conflicts with parent; its child is
	// then an orphan. Both are reported, in package order.
	rival, rivalHex := spend(t, coinbase.TxHash(), out.PkScript, out.Value-300_000)
	_, rivalChildHex := spend(t, rival.TxHash(), out.PkScript, out.Value-400_000)
	res, err = b.BroadcastPackage(ctx, []string{rivalHex, rivalChildHex})
	if err != nil || res.Success || len(res.Errors) != 2 || res.Errors[0].Txid != rival.TxHash().String() ||
		!strings.Contains(res.Errors[0].Error, "already spent") {
		t.Fatalf("conflicting package = %+v, %v", res, err)
	}
	t.Logf("conflict errors: %+v", res.Errors)

	info, err := b.MempoolInfo(ctx)
	relay, rerr := b.RelayFee(ctx)
	if err != nil || rerr != nil || relay <= 0 || info != (sdk.MempoolInfo{MempoolMinFee: relay, MinRelayTxFee: relay, IncrementalRelayFee: relay}) {
		t.Fatalf("MempoolInfo = %+v, %v (relay fee %v, %v)", info, err, relay, rerr)
	}
}
