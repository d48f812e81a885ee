package admin

import (
	"encoding/hex"
	"slices"
	"testing"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/btcutil"
)

func hashN(b byte) sdk.Hash {
	var h sdk.Hash
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

func TestQuery(t *testing.T) {
	r := newRig(t, nil)
	net := regtestNet(t)
	// A P2WPKH script and its regtest address.
	pkh := make([]byte, 20)
	for i := range pkh {
		pkh[i] = byte(i + 1)
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(pkh, net.Params)
	if err != nil {
		t.Fatal(err)
	}
	script := append([]byte{0x00, 0x14}, pkh...)
	hx := index.HashXFromScript(script)
	empty := []byte{0x6a}
	r.ix.hist = map[index.HashX][]index.Confirmed{hx: {{TxHash: hashN(1), Height: 5}, {TxHash: hashN(2), Height: 1234}, {TxHash: hashN(3), Height: 1300}}}
	r.ix.mem = map[index.HashX][]index.MempoolEntry{hx: {{TxHash: hashN(9)}}}
	r.ix.utxos = map[index.HashX][]index.UTXO{hx: {
		{TxHash: hashN(2), TxPos: 1, Height: 1234, Value: 150_000_000},
		{TxHash: hashN(3), TxPos: 1001, Height: 1300, Value: 123_456_789_012},
		{TxHash: hashN(9), TxPos: 0, Height: 0, Value: 7}, // mempool: ignored
	}}
	h1, h2, h3 := hashN(1).String(), hashN(2).String(), hashN(3).String()
	sh := hex.EncodeToString(script)
	full := []string{
		"History #0: height 5 tx_hash " + h1,
		"History #1: height 1,234 tx_hash " + h2,
		"History #2: height 1,300 tx_hash " + h3,
		"UTXO #1: tx_hash " + h2 + " tx_pos 1 height 1,234 value 150,000,000",
		"UTXO #2: tx_hash " + h3 + " tx_pos 1,001 height 1,300 value 123,456,789,012",
		"Balance: 1,236.06789012 XTN",
	}
	a := r.dial(r.rpcAddr)
	for _, tc := range []struct {
		name   string
		params any
		want   []string
	}{
		{"script and address", map[string]any{"items": []string{sh, "not-a-thing", addr.EncodeAddress()}, "limit": 1000},
			append(append([]string{"Script: " + sh}, full...), append([]string{"Address: " + addr.EncodeAddress()}, full...)...)},
		{"limit 1 (balance stays full)", []any{[]string{sh}, 1},
			[]string{"Script: " + sh, full[0], full[3], full[5]}},
		{"limit 0", []any{[]string{sh}, 0},
			[]string{"Script: " + sh, "No history found", full[3], full[4], full[5]}},
		{"nothing known", []any{[]string{hex.EncodeToString(empty)}, 10},
			[]string{"Script: 6a", "No history found", "No UTXOs found", "Balance: 0 XTN"}},
		{"mainnet address skipped", []any{[]string{"1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}, 10}, []string{}},
	} {
		var got []string
		a.ok(&got, "query", tc.params)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: query =\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
	expectErr(t, a, "query", []any{[]string{sh}, -1}, jsonrpc.BadRequest, "-1 should be a non-negative integer")
	expectErr(t, a, "query", []any{sh, 5}, jsonrpc.BadRequest, "items: expected a list of scripts (hex) or addresses")
	expectErr(t, a, "query", map[string]any{"items": []string{sh}}, jsonrpc.InvalidParams, `method "query" requires parameter "limit"`)
}
