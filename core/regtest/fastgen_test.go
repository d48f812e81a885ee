package regtest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// recordingNode accepts every block that passes btcd's context-free checks
// and links to its tip.
type recordingNode struct {
	mu     sync.Mutex
	blocks []*wire.MsgBlock
}

func (n *recordingNode) GetBlockCount(context.Context) (int64, error) { return 0, nil }

func (n *recordingNode) SubmitBlock(_ context.Context, b *wire.MsgBlock) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	prev := *chaincfg.RegressionNetParams.GenesisHash
	if len(n.blocks) > 0 {
		prev = n.blocks[len(n.blocks)-1].BlockHash()
	}
	if b.Header.PrevBlock != prev {
		return errTest("block does not link to the tip")
	}
	if err := blockchain.CheckBlockSanity(btcutil.NewBlock(b), chaincfg.RegressionNetParams.PowLimit, blockchain.NewMedianTime()); err != nil {
		return err
	}
	if err := blockchain.ValidateWitnessCommitment(btcutil.NewBlock(b)); err != nil {
		return err
	}
	n.blocks = append(n.blocks, b)
	return nil
}

func (n *recordingNode) GetBestBlockHash(context.Context) (sdk.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return sdk.Hash(n.blocks[len(n.blocks)-1].BlockHash()), nil
}

type errTest string

func (e errTest) Error() string { return string(e) }

func smallFastSpec(seed int64) FastSpec {
	return FastSpec{Seed: seed, Txs: 600, TxPerBlock: 150, Keys: 60, FundingOutputs: 4, Heavy: 2, HeavyTxs: 60,
		Watch: 60, ForeignWatchEvery: 7}
}

// Same seed, same chain (block hashes included); the spends are valid
// against the generator's own outputs, checked by the script engine.
func TestGenerateFastDeterministic(t *testing.T) {
	ctx := context.Background()
	var runs [2]*recordingNode
	var infos [2]*FastInfo
	for i := range runs {
		runs[i] = &recordingNode{}
		spec := smallFastSpec(3)
		spec.Workers = 1 + i // the parallel signing does not change anything
		info, err := GenerateFast(ctx, runs[i], spec)
		if err != nil {
			t.Fatal(err)
		}
		infos[i] = info
	}
	a, b := runs[0].blocks, runs[1].blocks
	if len(a) != len(b) || infos[0].TipHash != infos[1].TipHash {
		t.Fatalf("%d and %d blocks, tips %s and %s", len(a), len(b), infos[0].TipHash, infos[1].TipHash)
	}
	info := infos[0]
	if info.Txs != 600 || info.Height != int64(len(a)) || info.Height < SegwitHeight+4 {
		t.Fatalf("info %+v for %d blocks", info, len(a))
	}
	// Every input spends an output of an earlier block (or of the
	// coinbase 100 blocks back), and its script verifies.
	outs := map[wire.OutPoint]*wire.TxOut{}
	cbHeight := map[wire.OutPoint]int{}
	var nTx, types int
	seen := map[string]bool{}
	for h, blk := range a {
		height := h + 1
		if blk.Header.Timestamp != time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h)*10*time.Minute) {
			t.Fatalf("block %d time %v", height, blk.Header.Timestamp)
		}
		created := map[wire.OutPoint]*wire.TxOut{}
		for i, tx := range blk.Transactions {
			txid := tx.TxHash()
			if i > 0 {
				nTx++
				fetch := map[wire.OutPoint]*wire.TxOut{}
				for _, in := range tx.TxIn {
					o, ok := outs[in.PreviousOutPoint]
					if !ok {
						t.Fatalf("block %d tx %s spends unknown or same-block output %v", height, txid, in.PreviousOutPoint)
					}
					if ch, isCB := cbHeight[in.PreviousOutPoint]; isCB && height-ch < CoinbaseMaturity {
						t.Fatalf("block %d spends an immature coinbase of %d", height, ch)
					}
					fetch[in.PreviousOutPoint] = o
					delete(outs, in.PreviousOutPoint)
				}
				if err := verifyWith(tx, fetch); err != nil {
					t.Fatalf("block %d tx %s: %v", height, txid, err)
				}
			}
			for n, o := range tx.TxOut {
				op := wire.OutPoint{Hash: txid, Index: uint32(n)}
				created[op] = o
				if i == 0 {
					cbHeight[op] = height
				}
				if i > 0 && !seen[scriptClass(o.PkScript)] {
					seen[scriptClass(o.PkScript)] = true
					types++
				}
			}
		}
		for op, o := range created {
			outs[op] = o
		}
	}
	// Histories: every transaction touching a tracked script, block
	// order, coinbase first.
	hist := map[string][]HistoryEntry{}
	spentScript := map[wire.OutPoint][]byte{}
	for h, blk := range a {
		for i, tx := range blk.Transactions {
			txid := sdk.Hash(tx.TxHash())
			touched := map[string]bool{}
			if i > 0 {
				for _, in := range tx.TxIn {
					touched[string(spentScript[in.PreviousOutPoint])] = true
				}
			}
			for n, o := range tx.TxOut {
				spentScript[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(n)}] = o.PkScript
				touched[string(o.PkScript)] = true
			}
			for k := range touched {
				hist[k] = append(hist[k], HistoryEntry{Txid: txid, Height: int64(h + 1)})
			}
		}
	}
	for _, tr := range info.Tracked {
		if !slices.Equal(tr.History, hist[string(tr.PkScript)]) {
			t.Fatalf("tracked %s (%s) history %v, chain %v", tr.Address, tr.Type, tr.History, hist[string(tr.PkScript)])
		}
	}
	if nTx != 600 || types < 5 {
		t.Fatalf("%d transactions, %d output types %v", nTx, types, seen)
	}
	// The tracked answers agree with the unspent outputs left.
	for _, tr := range info.Tracked {
		var utxos int
		var value int64
		for _, o := range outs {
			if string(o.PkScript) == string(tr.PkScript) {
				utxos++
				value += o.Value
			}
		}
		if utxos != tr.UTXOs || value != tr.Confirmed {
			t.Fatalf("tracked %s: %d utxos %d sat, chain has %d, %d", tr.Address, tr.UTXOs, tr.Confirmed, utxos, value)
		}
	}
	if h := info.Tracked[0]; !h.Heavy || len(h.History) < 10 {
		t.Fatalf("heavy script %+v", h)
	}
}

func scriptClass(pk []byte) string { return txscript.GetScriptClass(pk).String() }

// verifyWith runs btcd's script engine with the standard flags on every
// input of tx.
func verifyWith(tx *wire.MsgTx, prevs map[wire.OutPoint]*wire.TxOut) error {
	fetch := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetch)
	for i, in := range tx.TxIn {
		o := prevs[in.PreviousOutPoint]
		vm, err := txscript.NewEngine(o.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, o.Value, fetch)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GenerateFast against a real btcd: every block is accepted.
func TestGenerateFastRealBtcd(t *testing.T) {
	node := StartTestNode(t, NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	spec := smallFastSpec(11)
	info, err := GenerateFast(ctx, node, spec)
	if err != nil {
		t.Fatalf("%v\n%s", err, node.Output())
	}
	tip, err := node.GetBlockCount(ctx)
	if err != nil || tip != info.Height {
		t.Fatalf("node tip %d (%v), generated %d", tip, err, info.Height)
	}
	hashes, err := node.GetBlockHashes(ctx, SegwitHeight, tip)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := node.GetBlocks(ctx, hashes)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, b := range blocks {
		n += len(b.Transactions) - 1
	}
	if n != spec.Txs || info.SubmitTxs != int64(spec.Txs+int(info.Height)) {
		t.Fatalf("node has %d txs, submitted %d with coinbases; want %d", n, info.SubmitTxs, spec.Txs)
	}
}
