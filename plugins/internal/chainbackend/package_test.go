package chainbackend

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
)

// testTx builds a one-input, one-output transaction spending prev:0 (with a
// witness when segwit, so txid and wtxid differ) and returns its hex, txid
// and wtxid.
func testTx(prev chainhash.Hash, value int64, segwit bool) (string, string, string) {
	tx := wire.NewMsgTx(2)
	in := wire.NewTxIn(wire.NewOutPoint(&prev, 0), nil, nil)
	if segwit {
		in.Witness = wire.TxWitness{bytes.Repeat([]byte{1}, 71), bytes.Repeat([]byte{2}, 33)}
	}
	tx.AddTxIn(in)
	tx.AddTxOut(wire.NewTxOut(value, []byte{0x51}))
	var buf bytes.Buffer
	_ = tx.Serialize(&buf)
	return hex.EncodeToString(buf.Bytes()), tx.TxHash().String(), tx.WitnessHash().String()
}

// stringsParam decodes the first parameter as a list of strings.
func stringsParam(p []json.RawMessage) []string {
	var s []string
	if len(p) > 0 {
		_ = json.Unmarshal(p[0], &s)
	}
	return s
}

func TestBroadcastPackageSubmitPackage(t *testing.T) {
	d := fakedaemon.New(t)
	newFakeChain(3).install(d, core)
	parentHex, parentID, parentW := testTx(chainhash.Hash{9}, 5000, true)
	childHex, childID, childW := testTx(chainhash.Hash{8}, 4000, true)
	var got [][]string
	d.Handle("submitpackage", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		if len(p) == 0 {
			return nil, &fakedaemon.Error{Code: -1, Message: "submitpackage [\"rawtx\",...]"}
		}
		got = append(got, stringsParam(p))
		// the child first: errors must still come in package order
		return map[string]any{"package_msg": "transaction failed", "tx-results": map[string]any{
			childW:  map[string]any{"txid": childID, "error": "bad-txns-inputs-missingorspent"},
			parentW: map[string]any{"txid": parentID, "error": "min relay fee not met"},
		}, "replaced-transactions": []string{}}, nil
	})
	b := newBackend(t, d, "")
	res, err := b.BroadcastPackage(bg, []string{parentHex, childHex})
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.PackageTxError{{Txid: parentID, Error: "min relay fee not met"}, {Txid: childID, Error: "bad-txns-inputs-missingorspent"}}
	if res.Success || len(res.Errors) != 2 || res.Errors[0] != want[0] || res.Errors[1] != want[1] {
		t.Fatalf("result %+v", res)
	}
	if len(got) != 1 || len(got[0]) != 2 || got[0][0] != parentHex || got[0][1] != childHex {
		t.Fatalf("submitpackage params %v", got)
	}
	if !strings.Contains(string(res.JSON), `"package_msg":"transaction failed"`) {
		t.Errorf("JSON not passed through: %s", res.JSON)
	}

	// Core 26: no package_msg; success means no per-tx error.
	d.Handle("submitpackage", fakedaemon.Constant(map[string]any{"tx-results": map[string]any{
		parentW: map[string]any{"txid": parentID}}}))
	if res, err := b.BroadcastPackage(bg, []string{parentHex}); err != nil || !res.Success || len(res.Errors) != 0 {
		t.Fatalf("core 26 answer: %+v, %v", res, err)
	}

	// A refusal of the whole package is a rejection with the daemon's code.
	d.Handle("submitpackage", fakedaemon.Fail(-25, "package topology disallowed. not child-with-parents or parents depend on each other."))
	_, err = b.BroadcastPackage(bg, []string{childHex, parentHex})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindRejected || e.DaemonCode != -25 || !strings.HasPrefix(e.DaemonMessage, "package topology") {
		t.Fatalf("package refusal: %#v", err)
	}
}

func TestBroadcastPackageSequentialFallback(t *testing.T) {
	d := fakedaemon.New(t)
	newFakeChain(3).install(d, btcd)
	parentHex, parentID, parentW := testTx(chainhash.Hash{9}, 5000, true)
	childHex, childID, childW := testTx(chainhash.Hash{8}, 4000, false)
	dupHex, dupID, _ := testTx(chainhash.Hash{7}, 3000, false)
	var sent []string
	d.Handle("sendrawtransaction", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		var s string
		_ = json.Unmarshal(p[0], &s)
		sent = append(sent, s)
		switch s {
		case childHex:
			return nil, &fakedaemon.Error{Code: -26, Message: "transaction " + childID + " has insufficient priority"}
		case dupHex:
			return nil, &fakedaemon.Error{Code: -26, Message: "already have transaction " + dupID}
		}
		return parentID, nil
	})
	b := newBackend(t, d, "")
	res, err := b.BroadcastPackage(bg, []string{parentHex, childHex, dupHex})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || len(res.Errors) != 1 || res.Errors[0].Txid != childID || !strings.Contains(res.Errors[0].Error, "insufficient priority") {
		t.Fatalf("result %+v", res)
	}
	if len(sent) != 3 || sent[0] != parentHex || sent[1] != childHex || sent[2] != dupHex {
		t.Fatalf("sendrawtransaction order: %d calls", len(sent))
	}
	var js seqResult
	if err := json.Unmarshal(res.JSON, &js); err != nil || js.PackageMsg != "transaction failed" ||
		js.TxResults[parentW].Txid != parentID || js.TxResults[parentW].Error != "" ||
		js.TxResults[childW].Error == "" || len(js.TxResults) != 3 {
		t.Fatalf("fallback JSON %s: %v", res.JSON, err)
	}

	sent = nil
	if res, err := b.BroadcastPackage(bg, []string{parentHex, dupHex}); err != nil || !res.Success || len(res.Errors) != 0 {
		t.Fatalf("all accepted: %+v, %v", res, err)
	}

	// Undecodable members refuse the package before any daemon call.
	sent = nil
	for _, bad := range [][]string{{parentHex, "zz"}, {"00"}, {}} {
		_, err = b.BroadcastPackage(bg, bad)
		if k := sdk.KindOf(err); k != sdk.KindRejected || len(sent) != 0 {
			t.Fatalf("package %v: %v (kind %v), %d sent", bad, err, k, len(sent))
		}
	}
}

func TestMempoolInfo(t *testing.T) {
	tests := []struct {
		name string
		fl   flavor
		info any // getmempoolinfo answer, nil: missing
		want sdk.MempoolInfo
	}{
		{"core", core, map[string]any{"size": 1, "mempoolminfee": 0.00003, "minrelaytxfee": 0.00002, "incrementalrelayfee": 0.00001},
			sdk.MempoolInfo{MempoolMinFee: 0.00003, MinRelayTxFee: 0.00002, IncrementalRelayFee: 0.00001}},
		{"core without incrementalrelayfee", core, map[string]any{"mempoolminfee": 0.00003, "minrelaytxfee": 0.00004},
			sdk.MempoolInfo{MempoolMinFee: 0.00003, MinRelayTxFee: 0.00004, IncrementalRelayFee: 0.00002}},
		{"btcd", btcd, map[string]any{"size": 3, "bytes": 600},
			sdk.MempoolInfo{MempoolMinFee: 0.00001, MinRelayTxFee: 0.00001, IncrementalRelayFee: 0.00001}},
		{"missing", btcd, nil,
			sdk.MempoolInfo{MempoolMinFee: 0.00001, MinRelayTxFee: 0.00001, IncrementalRelayFee: 0.00001}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := fakedaemon.New(t)
			newFakeChain(2).install(d, tc.fl)
			if tc.info != nil {
				d.Handle("getmempoolinfo", fakedaemon.Constant(tc.info))
			}
			b := newBackend(t, d, "")
			if got, err := b.MempoolInfo(bg); err != nil || got != tc.want {
				t.Fatalf("MempoolInfo = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	d := fakedaemon.New(t)
	newFakeChain(2).install(d, core)
	d.Handle("getmempoolinfo", fakedaemon.Fail(-1, "boom"))
	if _, err := newBackend(t, d, "").MempoolInfo(bg); sdk.KindOf(err) == sdk.KindInternal || err == nil {
		t.Fatalf("daemon error: %v", err)
	}
}
