package regtest

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// testSpends signs one transaction per script type, each spending a made-up
// output of its key.
func testSpends(t *testing.T, types ...ScriptType) []*wire.MsgTx {
	t.Helper()
	var txs []*wire.MsgTx
	for i, typ := range types {
		s, err := newScript(DeriveKey(7, i, &chaincfg.RegressionNetParams), typ)
		if err != nil {
			t.Fatal(err)
		}
		prev := UTXO{OutPoint: wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}, Index: uint32(i)}, Value: 100_000, Script: s}
		tx, _, err := CreateTx([]UTXO{prev}, []*wire.TxOut{wire.NewTxOut(0, s.PkScript)}, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	return txs
}

func TestMerkleRootMatchesBtcd(t *testing.T) {
	for n := 1; n <= 13; n++ {
		var hashes []chainhash.Hash
		var txs []*btcutil.Tx
		for i := range n {
			tx := wire.NewMsgTx(1)
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: uint32(i)}, []byte{byte(i), 1}, nil))
			tx.AddTxOut(wire.NewTxOut(int64(i), []byte{0x51}))
			hashes = append(hashes, tx.TxHash())
			txs = append(txs, btcutil.NewTx(tx))
		}
		if got, want := MerkleRoot(hashes), blockchain.CalcMerkleRoot(txs, false); got != want {
			t.Fatalf("%d hashes: MerkleRoot %s, btcd %s", n, got, want)
		}
	}
	if MerkleRoot(nil) != (chainhash.Hash{}) {
		t.Fatal("MerkleRoot of nothing is not zero")
	}
}

func TestTarget(t *testing.T) {
	limit := chaincfg.RegressionNetParams.PowLimit
	for _, tc := range []struct {
		bits uint32
		want *big.Int
		ok   bool
	}{
		{RegtestBits, blockchain.CompactToBig(RegtestBits), true},
		{0x1d00ffff, blockchain.CompactToBig(0x1d00ffff), true},
		{0x03123456, big.NewInt(0x123456), true},
		{0x01003456, big.NewInt(0), true},
		{0x04923456, nil, false}, // sign bit
		{0xff123456, nil, false}, // overflow
	} {
		got, err := Target(tc.bits)
		if (err == nil) != tc.ok || (tc.ok && got.Cmp(tc.want) != 0) {
			t.Errorf("Target(%08x) = %v, %v; want %v", tc.bits, got, err, tc.want)
		}
	}
	if got, _ := Target(RegtestBits); got.Cmp(limit) > 0 {
		t.Fatalf("regtest target %x above the limit %x", got, limit)
	}
}

// An assembled block passes btcd's context-free block checks: merkle
// root, witness commitment, proof of work, BIP34 height.
func TestAssembleBlock(t *testing.T) {
	pay := DeriveKey(1, 0, &chaincfg.RegressionNetParams)
	cbScript, _ := pay.PkScript(P2WPKH)
	for _, tc := range []struct {
		name    string
		txs     []*wire.MsgTx
		witness bool
	}{
		{"coinbase only", nil, false},
		{"legacy only", testSpends(t, P2PKH, P2PKH), false},
		{"mixed", testSpends(t, P2PKH, P2WPKH, P2SH, P2TR), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const height = 1234
			b, err := AssembleBlock(BlockTemplate{Height: height, PrevHash: chainhash.Hash{9}, Time: time.Unix(1767225600, 0),
				Tag: []byte("test"), Payouts: []*wire.TxOut{wire.NewTxOut(50, cbScript)}, Txs: tc.txs})
			if err != nil {
				t.Fatal(err)
			}
			blk := btcutil.NewBlock(b)
			if err := blockchain.CheckBlockSanity(blk, chaincfg.RegressionNetParams.PowLimit, blockchain.NewMedianTime()); err != nil {
				t.Fatalf("btcd sanity check: %v", err)
			}
			if err := blockchain.ValidateWitnessCommitment(blk); err != nil {
				t.Fatalf("witness commitment: %v", err)
			}
			if got := blockchain.CalcMerkleRoot(blk.Transactions(), false); got != b.Header.MerkleRoot {
				t.Fatalf("merkle root %s, btcd computes %s", b.Header.MerkleRoot, got)
			}
			if !MeetsTarget(&b.Header) {
				t.Fatal("header does not meet its target")
			}
			cb := b.Transactions[0]
			hasCommit := false
			for _, o := range cb.TxOut {
				hasCommit = hasCommit || bytes.HasPrefix(o.PkScript, append([]byte{0x6a, 0x24}, witnessMagic...))
			}
			if hasCommit != tc.witness || (len(cb.TxIn[0].Witness) == 1) != tc.witness {
				t.Fatalf("witness commitment present %v, reserved value %d items; want %v", hasCommit, len(cb.TxIn[0].Witness), tc.witness)
			}
			h, err := blockchain.ExtractCoinbaseHeight(btcutil.NewTx(cb))
			if err != nil || h != height {
				t.Fatalf("coinbase height %d, %v", h, err)
			}
			if len(b.Transactions) != 1+len(tc.txs) {
				t.Fatalf("%d transactions", len(b.Transactions))
			}
		})
	}
}

// A witness commitment over other transactions does not validate: the
// check above can fail.
func TestWitnessCommitmentDetectsChange(t *testing.T) {
	txs := testSpends(t, P2WPKH, P2TR)
	b, err := AssembleBlock(BlockTemplate{Height: 500, Time: time.Unix(1767225600, 0),
		Payouts: []*wire.TxOut{wire.NewTxOut(1, []byte{0x51})}, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	b.Transactions[1].TxIn[0].Witness[0][5] ^= 1
	if err := blockchain.ValidateWitnessCommitment(btcutil.NewBlock(b)); err == nil {
		t.Fatal("a changed witness still matches the commitment")
	}
}

func TestSolveFindsNonce(t *testing.T) {
	for i := range 20 {
		h := wire.BlockHeader{Version: 4, Bits: RegtestBits, Timestamp: time.Unix(int64(1767225600+i), 0)}
		if err := Solve(&h); err != nil {
			t.Fatal(err)
		}
		if !MeetsTarget(&h) || blockchain.HashToBig(ptr(h.BlockHash())).Cmp(blockchain.CompactToBig(RegtestBits)) > 0 {
			t.Fatalf("solved header %d misses the target", i)
		}
	}
	hard := wire.BlockHeader{Bits: 0x03000001} // target 1: a few tries never do it
	if MeetsTarget(&hard) {
		t.Fatal("an unsolved header meets target 1")
	}
}

func ptr[T any](v T) *T { return &v }
