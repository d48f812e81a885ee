package regtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/wire"
)

// Spec describes the chain Generate builds.
type Spec struct {
	// Seed drives every random choice (inputs, outputs, amounts, fee rates).
	// With the same seed, wallet seed and node start, the scripts, tx counts
	// and spend graph are the same; txids, block hashes and amounts to within
	// signature-size rounding are not (btcd randomises the coinbase extra
	// nonce, and ECDSA signature lengths vary with the message).
	Seed int64
	// Blocks is the number of blocks to mine in this call.
	Blocks int
	// TxPerBlock is the number of transactions put in each block from
	// FirstTxHeight on (fewer if the wallet runs out of spendable outputs).
	TxPerBlock int
	// Scripts is the number of distinct destination scripts (default 100);
	// script i belongs to wallet key i and has type Types[i%len(Types)]. The
	// first transactions use them in order, so all of them appear once
	// enough outputs were made.
	Scripts int
	// Types is the mix of destination script types (default AllScriptTypes).
	Types []ScriptType
	// SameBlockSpends lets about a quarter of the transactions spend an
	// output created earlier in the same block.
	SameBlockSpends bool
	// MempoolTxs is the number of transactions left unconfirmed at the end;
	// two of every three spend an output of the previous one, so the mempool
	// holds chains of unconfirmed spends.
	MempoolTxs int
	// HeavyScriptTxs is the number of confirmed transactions paying one
	// extra script (key index Scripts, P2WPKH unless Types excludes it),
	// spread evenly over the generated blocks: one script with a long
	// history.
	HeavyScriptTxs int
	// FirstTxHeight is the first block height that gets transactions;
	// default CoinbaseMaturity+1 (101), the first block that can spend a
	// coinbase. Before SegwitHeight only P2PKH outputs are spent (outputs of
	// every type are created).
	FirstTxHeight int64
	// MaxFeeRate is the highest fee rate in sat/vB (default 20); each
	// transaction's rate is drawn from [1, MaxFeeRate].
	MaxFeeRate float64
	// Logger receives progress every 100 blocks; nil: discard.
	Logger *slog.Logger
}

// HistoryEntry is one transaction touching a script.
type HistoryEntry struct {
	Txid   sdk.Hash
	Height int64 // 0: in the mempool
}

// ScriptInfo is a script used by Generate with its key and history.
type ScriptInfo struct {
	*Script
	Hex string // PkScript in hex
	WIF string // private key (compressed WIF)
	// History lists the transactions of this Generate call that touched the
	// script (paid it or spent from it), coinbases included: confirmed ones
	// in block order, then mempool ones in send order.
	History []HistoryEntry
}

// ChainInfo describes what Generate built.
type ChainInfo struct {
	StartHeight int64    // tip before the call
	Height      int64    // tip after the call
	TipHash     sdk.Hash // hash of the tip after the call
	Blocks      int      // blocks mined
	// Confirmed lists the generated (non-coinbase) transactions mined, in
	// block order.
	Confirmed []sdk.Hash
	// Mempool lists the transactions left unconfirmed, in send order.
	Mempool []sdk.Hash
	// MempoolDepth is the length of the longest chain of unconfirmed
	// transactions (1: no unconfirmed parent).
	MempoolDepth int
	// SameBlockSpends counts inputs spending an output of the same block.
	SameBlockSpends int
	// Scripts are the destination scripts in key-index order, then the heavy
	// script (if any), then the mining script.
	Scripts []*ScriptInfo
	Heavy   *ScriptInfo // nil if Spec.HeavyScriptTxs is 0
	Mining  *ScriptInfo // the harness P2PKH script coinbases pay
	Elapsed time.Duration
}

// Script returns the info of the script with hex pkScript, or nil.
func (c *ChainInfo) Script(hexScript string) *ScriptInfo {
	for _, s := range c.Scripts {
		if s.Hex == hexScript {
			return s
		}
	}
	return nil
}

// UsedScripts returns the scripts with a non-empty history.
func (c *ChainInfo) UsedScripts() []*ScriptInfo {
	var out []*ScriptInfo
	for _, s := range c.Scripts {
		if len(s.History) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Chain is what Generate needs from a node (Node and Client have it).
type Chain interface {
	BlockSource
	Generate(ctx context.Context, n int) ([]sdk.Hash, error)
	GetBlock(ctx context.Context, hash sdk.Hash) (*wire.MsgBlock, error)
	SendRawTxs(ctx context.Context, txs []*wire.MsgTx) ([]sdk.Hash, error)
}

// Generate mines spec.Blocks blocks on node with transactions between the
// wallet's scripts, then leaves spec.MempoolTxs transactions in the mempool.
// The wallet is synced first and must own the node's mining address (every
// wallet owns the default one) or other spendable outputs. Transactions are
// sent in one batch per block and each block is mined with "generate 1".
func Generate(ctx context.Context, node Chain, w *Wallet, spec Spec) (*ChainInfo, error) {
	start := time.Now()
	g, err := newGenerator(w, spec)
	if err != nil {
		return nil, err
	}
	if err := w.Sync(ctx, node); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	g.tip = w.Height()
	g.info.StartHeight = g.tip
	for _, u := range w.UTXOs() {
		g.pool(u)
	}
	g.planHeavy()
	for mined := 0; mined < spec.Blocks; {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		n, err := g.mine(ctx, node, spec.Blocks-mined)
		if err != nil {
			return nil, fmt.Errorf("generate block %d: %w", g.tip+1, err)
		}
		before := mined / 100
		mined += n
		if mined/100 != before {
			g.log.Info("generating", "blocks", mined, "of", spec.Blocks, "height", g.tip, "txs", len(g.info.Confirmed))
		}
	}
	if err := g.fillMempool(ctx, node); err != nil {
		return nil, fmt.Errorf("generate mempool: %w", err)
	}
	g.info.Height = g.tip
	g.info.TipHash = w.TipHash()
	g.info.Blocks = spec.Blocks
	g.info.Elapsed = time.Since(start)
	return g.info, nil
}

// MinOutput is the smallest output value Generate creates.
const MinOutput = 5_000

type generator struct {
	spec Spec
	w    *Wallet
	rng  *rand.Rand
	log  *slog.Logger
	info *ChainInfo

	dests  []*Script
	byHex  map[string]*ScriptInfo
	heavy  *Script
	cursor int // next destination script not used yet
	tip    int64
	// Heavy-script plan: by the end of the j-th of txBlocks transaction
	// blocks, ceil(HeavyScriptTxs*j/txBlocks) transactions pay it.
	txBlocks, txBlock int64
	heavyN, heavyDue  int

	inMempool bool // building the final unconfirmed transactions

	ready     []UTXO // spendable in the next block
	fresh     []UTXO // created in the block being built, spendable in it
	unspendOK []UTXO // created in the block being built, not spendable in it
	later     []UTXO // immature coinbases, witness outputs before activation
	depth     map[sdk.Hash]int
}

func newGenerator(w *Wallet, spec Spec) (*generator, error) {
	if spec.Blocks < 0 || spec.TxPerBlock < 0 || spec.Scripts < 0 || spec.MempoolTxs < 0 || spec.HeavyScriptTxs < 0 {
		return nil, errors.New("generate: negative count in spec")
	}
	if spec.Scripts == 0 {
		spec.Scripts = 100
	}
	if len(spec.Types) == 0 {
		spec.Types = AllScriptTypes
	}
	if spec.FirstTxHeight <= 0 {
		spec.FirstTxHeight = CoinbaseMaturity + 1
	}
	if spec.MaxFeeRate < 1 {
		spec.MaxFeeRate = 20
	}
	g := &generator{
		spec: spec, w: w, log: spec.Logger, info: &ChainInfo{},
		rng:   rand.New(rand.NewPCG(uint64(spec.Seed), 0x616d626572)),
		byHex: map[string]*ScriptInfo{}, depth: map[sdk.Hash]int{},
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	add := func(s *Script) *ScriptInfo {
		si := &ScriptInfo{Script: s, Hex: s.Hex(), WIF: s.Key.WIF()}
		g.byHex[si.Hex] = si
		g.info.Scripts = append(g.info.Scripts, si)
		return si
	}
	for i := 0; i < spec.Scripts; i++ {
		s, err := w.Script(i, spec.Types[i%len(spec.Types)])
		if err != nil {
			return nil, err
		}
		g.dests = append(g.dests, s)
		add(s)
	}
	if spec.HeavyScriptTxs > 0 {
		t := spec.Types[0]
		for _, x := range spec.Types {
			if x == P2WPKH {
				t = P2WPKH
			}
		}
		s, err := w.Script(spec.Scripts, t)
		if err != nil {
			return nil, err
		}
		g.heavy = s
		g.info.Heavy = add(s)
	}
	g.info.Mining = add(w.MiningScript())
	return g, nil
}

// planHeavy counts the blocks that will get transactions.
func (g *generator) planHeavy() {
	first := max(g.spec.FirstTxHeight, g.tip+1)
	g.txBlocks = max(g.tip+int64(g.spec.Blocks)-first+1, 1)
}

// pool files a confirmed or previous-block output by spendability.
func (g *generator) pool(u UTXO) {
	switch {
	case g.heavy != nil && u.Script == g.heavy:
	case u.Spendable(g.tip):
		g.ready = append(g.ready, u)
	default:
		g.later = append(g.later, u)
	}
}

// promote re-files the waiting outputs after the tip moved.
func (g *generator) promote() {
	later := g.later
	g.later = nil
	for _, u := range later {
		g.pool(u)
	}
}

// take removes and returns a random element of *s.
func (g *generator) take(s *[]UTXO) UTXO {
	i := g.rng.IntN(len(*s))
	u := (*s)[i]
	last := len(*s) - 1
	(*s)[i] = (*s)[last]
	*s = (*s)[:last]
	return u
}

func (g *generator) dest() *Script {
	if g.cursor < len(g.dests) {
		g.cursor++
		return g.dests[g.cursor-1]
	}
	return g.dests[g.rng.IntN(len(g.dests))]
}

// mine mines one block with transactions, or up to limit empty blocks in
// one call while transactions are not due. It returns the number mined.
func (g *generator) mine(ctx context.Context, node Chain, limit int) (int, error) {
	g.promote()
	next := g.tip + 1
	var txs []*wire.MsgTx
	if next >= g.spec.FirstTxHeight {
		g.txBlock++
		h := int64(g.spec.HeavyScriptTxs)
		g.heavyDue = int(min((h*g.txBlock+g.txBlocks-1)/g.txBlocks, h))
		for range g.spec.TxPerBlock {
			tx, err := g.makeTx(nil, g.spec.SameBlockSpends)
			if err != nil {
				return 0, err
			}
			if tx == nil {
				break
			}
			txs = append(txs, tx)
		}
	}
	// Mine empty blocks in bulk while transactions are not due (or not
	// wanted); once they are, one block at a time so that outputs maturing
	// in the next block are used.
	n := 1
	switch {
	case next < g.spec.FirstTxHeight:
		n = min(limit, 100, int(g.spec.FirstTxHeight-next))
	case g.spec.TxPerBlock == 0:
		n = min(limit, 100)
	}
	if _, err := node.SendRawTxs(ctx, txs); err != nil {
		return 0, err
	}
	hashes, err := node.Generate(ctx, n)
	if err != nil {
		return 0, err
	}
	blocks, err := node.GetBlocks(ctx, hashes)
	if err != nil {
		return 0, err
	}
	for i, b := range blocks {
		if err := g.confirm(b, g.tip+1, txs); err != nil {
			return i, err
		}
	}
	return n, nil
}

// confirm applies a mined block: histories, pools, and a check that it
// holds every transaction sent for it.
func (g *generator) confirm(b *wire.MsgBlock, height int64, sent []*wire.MsgTx) error {
	effects, err := g.w.ApplyBlock(b, height)
	if err != nil {
		return err
	}
	in := make(map[sdk.Hash]bool, len(b.Transactions))
	for _, tx := range b.Transactions {
		in[sdk.Hash(tx.TxHash())] = true
	}
	for _, tx := range sent {
		if !in[sdk.Hash(tx.TxHash())] {
			return fmt.Errorf("block %d does not contain sent tx %s", height, tx.TxHash())
		}
	}
	for _, e := range effects {
		for _, s := range e.Scripts {
			if si := g.byHex[s.Hex()]; si != nil {
				si.History = append(si.History, HistoryEntry{Txid: e.Txid, Height: height})
			}
		}
		if len(e.Received) > 0 && e.Received[0].Coinbase {
			g.later = append(g.later, e.Received...)
			continue
		}
		g.info.Confirmed = append(g.info.Confirmed, e.Txid)
	}
	if len(effects) == 0 && g.spec.TxPerBlock > 0 && len(g.ready)+len(g.later) == 0 {
		return fmt.Errorf("block %d: the coinbase does not pay a wallet script and the wallet has no outputs (is the node's --miningaddr a wallet address?)", height)
	}
	g.tip = height
	for _, s := range [][]UTXO{g.fresh, g.unspendOK} {
		for _, u := range s {
			u.Height = height
			g.pool(u)
		}
	}
	g.fresh, g.unspendOK = g.fresh[:0], g.unspendOK[:0]
	return nil
}
