package harness

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/btcsuite/btcd/chaincfg"
)

// TestModelAgreesWithGenerator builds a small chain with regtest.Generate
// and checks the model's per-script histories against the generator's own
// bookkeeping (two independent computations of the same facts), plus the
// model's internal consistency (UTXO sums, merkle roots, status order).
func TestModelAgreesWithGenerator(t *testing.T) {
	node := StartNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := regtest.NewWallet(7, &chaincfg.RegressionNetParams)
	info, err := regtest.Generate(ctx, node, w, regtest.Spec{
		Seed: 1, Blocks: 440, TxPerBlock: 6, Scripts: 40, SameBlockSpends: true, MempoolTxs: 9,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := BuildModel(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	if m.Tip() != info.Height || m.BlockHash(m.Tip()) != info.TipHash {
		t.Fatalf("model tip %d %s, generator %d %s", m.Tip(), m.BlockHash(m.Tip()), info.Height, info.TipHash)
	}
	if len(m.MempoolTxids()) != len(info.Mempool) {
		t.Fatalf("model mempool %d txs, generator %d", len(m.MempoolTxids()), len(info.Mempool))
	}
	for _, s := range info.Scripts {
		sh := ScriptHash(s.PkScript)
		var wantConf, wantMem []string
		for _, e := range s.History {
			if e.Height > 0 {
				wantConf = append(wantConf, e.Txid.String())
			} else {
				wantMem = append(wantMem, e.Txid.String())
			}
		}
		var gotConf, gotMem []string
		for _, e := range m.ConfirmedHistory(sh) {
			gotConf = append(gotConf, e.TxHash)
		}
		for _, e := range m.Mempool(sh) {
			gotMem = append(gotMem, e.TxHash)
			if e.Fee == nil || *e.Fee <= 0 {
				t.Errorf("%s: mempool entry %s without a positive fee", s.Address, e.TxHash)
			}
		}
		if !slices.Equal(gotConf, wantConf) {
			t.Errorf("%s (%s): confirmed history\n got %v\nwant %v", s.Address, s.Type, gotConf, wantConf)
		}
		slices.Sort(wantMem)
		slices.Sort(gotMem)
		if !slices.Equal(gotMem, wantMem) {
			t.Errorf("%s: mempool\n got %v\nwant %v", s.Address, gotMem, wantMem)
		}
		var sum int64
		for _, u := range m.ListUnspent(sh) {
			if u.Height > 0 {
				sum += u.Value
			}
		}
		if b := m.Balance(sh); b.Confirmed < sum {
			t.Errorf("%s: confirmed balance %d below unspent-and-unspent-in-mempool sum %d", s.Address, b.Confirmed, sum)
		}
	}
	for h := int64(1); h <= m.Tip(); h++ {
		if got := MerkleRoot(m.BlockTxids(h)); got != m.MerkleRootAt(h) {
			t.Fatalf("block %d: merkle root of txids %s, header says %s", h, got, m.MerkleRootAt(h))
		}
	}
	if info.MempoolDepth < 2 {
		t.Errorf("generator left no unconfirmed chain (depth %d)", info.MempoolDepth)
	}
	var minus int
	for _, sh := range m.ScriptHashes() {
		mem := m.Mempool(sh)
		for i := 1; i < len(mem); i++ {
			if compareMempool(mem[i-1], mem[i]) >= 0 {
				t.Errorf("%s: mempool order %v", sh, mem)
			}
		}
		for _, e := range mem {
			if e.Height == -1 {
				minus++
			}
		}
	}
	if minus == 0 {
		t.Errorf("no mempool entry has height -1 despite unconfirmed chains")
	}
}
