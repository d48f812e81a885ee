package regtest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// chainView is an independent reading of a node's chain: per-script
// histories and the types of spent outputs, computed from raw blocks.
type chainView struct {
	prevouts map[wire.OutPoint][]byte
	history  map[string][]HistoryEntry // by script hex
	spent    map[txscript.ScriptClass]int
}

func newChainView() *chainView {
	return &chainView{prevouts: map[wire.OutPoint][]byte{}, history: map[string][]HistoryEntry{}, spent: map[txscript.ScriptClass]int{}}
}

func (v *chainView) addTx(tx *wire.MsgTx, height int64) {
	txid := sdk.Hash(tx.TxHash())
	var touched []string
	touch := func(ps []byte) {
		if h := hex.EncodeToString(ps); !slices.Contains(touched, h) {
			touched = append(touched, h)
		}
	}
	if !blockchain.IsCoinBaseTx(tx) {
		for _, in := range tx.TxIn {
			if ps, ok := v.prevouts[in.PreviousOutPoint]; ok {
				touch(ps)
				v.spent[txscript.GetScriptClass(ps)]++
			}
		}
	}
	for i, out := range tx.TxOut {
		v.prevouts[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}] = out.PkScript
		touch(out.PkScript)
	}
	for _, h := range touched {
		v.history[h] = append(v.history[h], HistoryEntry{Txid: txid, Height: height})
	}
}

func (v *chainView) scan(ctx context.Context, t *testing.T, n *Node, from, to int64) {
	t.Helper()
	for start := from; start <= to; start += 100 {
		end := min(start+99, to)
		hs, err := n.GetBlockHashes(ctx, start, end)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := n.GetBlocks(ctx, hs)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range bs {
			for _, tx := range b.Transactions {
				v.addTx(tx, start+int64(i))
			}
		}
	}
}

type verboseBlock struct {
	Tx     []string `json:"tx"`
	Height int64    `json:"height"`
}

func TestGenerateSmallChain(t *testing.T) {
	ctx := testCtx(t)
	n := StartTestNode(t, NodeOptions{})
	w := NewWallet(7, &chaincfg.RegressionNetParams)
	spec := Spec{
		Seed: 1, Blocks: 450, TxPerBlock: 4, Scripts: 50, Types: AllScriptTypes,
		SameBlockSpends: true, MempoolTxs: 7, HeavyScriptTxs: 20,
		// Blocks 400-431 can spend only P2PKH outputs; 432-450 spend all types.
		FirstTxHeight: 400,
	}
	info, err := Generate(ctx, n, w, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d blocks, %d confirmed txs, %d mempool (depth %d), %d same-block spends in %v",
		info.Blocks, len(info.Confirmed), len(info.Mempool), info.MempoolDepth, info.SameBlockSpends, info.Elapsed)

	if c, err := n.GetBlockCount(ctx); err != nil || c != 450 || info.Height != 450 {
		t.Fatalf("tip: node %d (err %v), info %d; want 450", c, err, info.Height)
	}
	if best, _ := n.GetBestBlockHash(ctx); best != info.TipHash {
		t.Fatalf("TipHash %s, node's best %s", info.TipHash, best)
	}
	if want := 51 * 4; len(info.Confirmed) != want {
		t.Fatalf("%d confirmed txs, want %d (51 blocks x 4)", len(info.Confirmed), want)
	}

	// Every generated tx is in a block (getblock verbose 1), and only those.
	hs, err := n.GetBlockHashes(ctx, 1, 450)
	if err != nil {
		t.Fatal(err)
	}
	reqs := make([]Request, len(hs))
	for i, h := range hs {
		reqs[i] = Request{Method: "getblock", Params: []any{h.String(), 1}}
	}
	rs, err := n.Batch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	var inBlocks []string
	for i, r := range rs {
		var b verboseBlock
		if r.Err != nil || json.Unmarshal(r.Result, &b) != nil || b.Height != int64(i+1) || len(b.Tx) == 0 {
			t.Fatalf("getblock %d verbose: %v %s", i+1, r.Err, r.Result)
		}
		inBlocks = append(inBlocks, b.Tx[1:]...)
		if b.Height < spec.FirstTxHeight && len(b.Tx) != 1 {
			t.Fatalf("block %d below FirstTxHeight has %d txs", b.Height, len(b.Tx))
		}
	}
	slices.Sort(inBlocks)
	if got := hashStrings(info.Confirmed); !slices.Equal(got, inBlocks) {
		t.Fatalf("confirmed txs differ from the blocks' txs: %d vs %d", len(got), len(inBlocks))
	}

	// The mempool holds exactly the generated unconfirmed txs.
	mp, err := n.RawMempool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hashStrings(mp), hashStrings(info.Mempool); len(want) != spec.MempoolTxs || !slices.Equal(got, want) {
		t.Fatalf("mempool %v, want %v (%d txs)", got, want, spec.MempoolTxs)
	}
	if info.MempoolDepth < 3 {
		t.Fatalf("mempool chain depth %d, want >= 3", info.MempoolDepth)
	}

	// Independent reading of the chain and mempool.
	v := newChainView()
	v.scan(ctx, t, n, 1, 450)
	confirmedSpent := maps.Clone(v.spent)
	for _, txid := range info.Mempool {
		tx, err := n.GetRawTransaction(ctx, txid)
		if err != nil {
			t.Fatal(err)
		}
		v.addTx(tx, 0)
	}
	for _, c := range []txscript.ScriptClass{txscript.PubKeyHashTy, txscript.WitnessV0PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV1TaprootTy} {
		if confirmedSpent[c] == 0 {
			t.Errorf("no confirmed tx spends a %v output", c)
		}
	}
	// Histories reported by Generate match the chain, for every script.
	used := 0
	types := map[ScriptType]int{}
	for _, si := range info.Scripts {
		if !slices.Equal(si.History, v.history[si.Hex]) {
			t.Errorf("script %s (%s): history %v, chain says %v", si.Hex, si.Type, si.History, v.history[si.Hex])
		}
		if len(si.History) > 0 && si != info.Heavy && si != info.Mining {
			used++
			types[si.Type]++
		}
	}
	if used != spec.Scripts || len(types) != 4 {
		t.Fatalf("%d destination scripts used (types %v), want all %d of 4 types", used, types, spec.Scripts)
	}
	if h := info.Heavy; h == nil || len(h.History) != spec.HeavyScriptTxs {
		t.Fatalf("heavy script history %d, want %d", len(info.Heavy.History), spec.HeavyScriptTxs)
	}
	if got := len(info.Mining.History); got < 450 {
		t.Fatalf("mining script history %d, want >= 450 coinbases", got)
	}

	// Same-block spends: some tx spends an output created in its own block.
	same := 0
	for h := spec.FirstTxHeight; h <= 450; h++ {
		b, err := n.GetBlock(ctx, hs[h-1])
		if err != nil {
			t.Fatal(err)
		}
		ids := map[[32]byte]bool{}
		for _, tx := range b.Transactions {
			ids[tx.TxHash()] = true
		}
		for _, tx := range b.Transactions[1:] {
			for _, in := range tx.TxIn {
				if ids[in.PreviousOutPoint.Hash] {
					same++
				}
			}
		}
	}
	if same == 0 || same != info.SameBlockSpends {
		t.Fatalf("chain has %d same-block spends, Generate reported %d", same, info.SameBlockSpends)
	}

	// The WIFs restore the keys of the scripts.
	for _, si := range info.Scripts[:4] {
		k, err := keyFromWIF(si.WIF, si.Key.Index)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := k.PkScript(si.Type)
		if err != nil || hex.EncodeToString(ps) != si.Hex {
			t.Fatalf("WIF of %s gives script %x (err %v)", si.Hex, ps, err)
		}
	}
}

func hashStrings(hs []sdk.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	slices.Sort(out)
	return out
}

// TestGenerateLarge measures the big chain the load tool needs. It takes a
// minute or two, so it runs only with REGTEST_LARGE=1.
func TestGenerateLarge(t *testing.T) {
	if os.Getenv("REGTEST_LARGE") == "" {
		t.Skip("set REGTEST_LARGE=1 to build a 1,000-block, 20,000-tx chain")
	}
	ctx := testCtx(t)
	n := StartTestNode(t, NodeOptions{})
	w := NewWallet(11, &chaincfg.RegressionNetParams)
	info, err := Generate(ctx, n, w, Spec{
		Seed: 2, Blocks: 1000, TxPerBlock: 36, Scripts: 2500, SameBlockSpends: true,
		MempoolTxs: 50, HeavyScriptTxs: 2000,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d blocks, %d confirmed txs, %d scripts used, heavy %d, mempool %d, same-block %d: %v",
		info.Blocks, len(info.Confirmed), len(info.UsedScripts()), len(info.Heavy.History), len(info.Mempool), info.SameBlockSpends, info.Elapsed)
	if len(info.Heavy.History) != 2000 {
		t.Fatalf("heavy script history %d, want 2000", len(info.Heavy.History))
	}
	if len(info.Confirmed) < 20000 || len(info.UsedScripts()) < 2000 {
		t.Fatalf("%d txs over %d scripts, want >= 20,000 over >= 2,000", len(info.Confirmed), len(info.UsedScripts()))
	}
}

// TestGenerateDeterministic builds the same spec on two fresh nodes: the
// shape (per-script history lengths, same-block spends, mempool) must match
// even though txids differ.
func TestGenerateDeterministic(t *testing.T) {
	ctx := testCtx(t)
	spec := Spec{Seed: 9, Blocks: 440, TxPerBlock: 3, Scripts: 20, Types: []ScriptType{P2TR, P2PKH},
		SameBlockSpends: true, MempoolTxs: 4, HeavyScriptTxs: 5, FirstTxHeight: 425}
	shape := func() ([]int, *ChainInfo) {
		n := StartTestNode(t, NodeOptions{})
		defer n.Stop()
		info, err := Generate(ctx, n, NewWallet(3, &chaincfg.RegressionNetParams), spec)
		if err != nil {
			t.Fatal(err)
		}
		var lens []int
		for _, s := range info.Scripts {
			lens = append(lens, len(s.History))
		}
		return append(lens, len(info.Confirmed), len(info.Mempool), info.MempoolDepth, info.SameBlockSpends), info
	}
	a, ia := shape()
	b, ib := shape()
	if !slices.Equal(a, b) {
		t.Fatalf("same spec, different shapes:\n%v\n%v", a, b)
	}
	for i, s := range ia.Scripts {
		if s.Hex != ib.Scripts[i].Hex || s.Type != ib.Scripts[i].Type {
			t.Fatalf("script %d differs: %s/%v vs %s/%v", i, s.Hex, s.Type, ib.Scripts[i].Hex, ib.Scripts[i].Type)
		}
	}
}
