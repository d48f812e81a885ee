package regtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// GenerateFast builds a large chain without btcd's mempool: it keeps its own
// UTXO set, signs each block's transactions on all cores, assembles the
// blocks (see AssembleBlock) and submits them with submitblock. It mines
// every block itself, from height 1 on a fresh regtest node, so the whole
// chain (txids and block hashes) follows from FastSpec.Seed.

// FastSpec describes the chain GenerateFast builds. Zero fields take the
// defaults in parentheses.
type FastSpec struct {
	Seed int64
	// Txs is the number of transactions (coinbases not counted) to put in
	// blocks after the funding blocks.
	Txs int
	// TxPerBlock is the target number of transactions per block (2,500);
	// a block holds fewer when it reaches MaxBlockWeight.
	TxPerBlock int
	// Keys is the number of wallet keys the chain's own outputs pay
	// (50,000); each key has one script type (55 % P2WPKH, 20 % P2TR,
	// 15 % P2PKH, 10 % P2SH-P2WPKH).
	Keys int
	// FundingOutputs is the number of outputs of each coinbase up to
	// SegwitHeight+1 (200); they fund the chain once mature.
	FundingOutputs int
	// Heavy is the number of very heavy scripts (3) and HeavyTxs the number
	// of transactions paying each of them (Txs/40); about one in 200 of
	// their outputs is later swept back to the same script by a many-input
	// transaction.
	Heavy, HeavyTxs int
	// Watch is the number of wallet keys (the first ones) whose expected
	// answers are tracked (1,000); the heavy scripts are always tracked.
	Watch int
	// ForeignWatchEvery tracks every n-th output paid to a script outside
	// the wallet (1,000; negative: none).
	ForeignWatchEvery int
	// Workers signs in parallel (runtime.GOMAXPROCS).
	Workers int
	// RFC6979 signs with SignTx (a fresh RFC6979 nonce per signature)
	// instead of the fast signer's fixed nonce pool (fastsign.go): the
	// same transactions with other signatures, and about three times the
	// generator's CPU.
	RFC6979 bool
	// StartTime is the timestamp of block 1 (2026-01-01T00:00:00Z); each
	// block is BlockInterval (10 min) later than the previous one.
	StartTime     time.Time
	BlockInterval time.Duration
	// Deadline, if set, ends the chain early: no block is started after
	// it (the chain then has fewer than Txs transactions; FastInfo says how
	// many). A shared machine cannot promise a rate.
	Deadline time.Time
	// Logger receives progress about every 10 s; nil: discard.
	Logger *slog.Logger
}

// Tracked is a script whose expected Electrum answers GenerateFast keeps.
type Tracked struct {
	PkScript []byte
	Type     string // p2pkh, p2wpkh, p2sh-p2wpkh, p2tr or p2wsh
	Address  string
	Heavy    bool
	// History lists the confirmed transactions touching the script in
	// block order, coinbases included.
	History   []HistoryEntry
	Confirmed int64 // value of the unspent outputs
	UTXOs     int   // number of unspent outputs
}

// FastInfo describes what GenerateFast built.
type FastInfo struct {
	Height   int64
	TipHash  chainhash.Hash
	Blocks   int // blocks submitted (all of them, funding blocks included)
	TxBlocks int // blocks with transactions besides the coinbase
	Txs      int // transactions, coinbases not counted
	Inputs   int64
	Outputs  int64            // outputs of those transactions
	ByType   map[string]int64 // their output script forms: p2wpkh, p2tr, p2pkh, p2sh, p2wsh
	// MaxInputs and MaxOutputs are the largest input and output counts of
	// one transaction; MaxBlockTxs the most transactions in one block.
	MaxInputs, MaxOutputs, MaxBlockTxs int
	Bytes                              int64 // serialized size of all blocks
	// DustLeft counts wallet outputs too small to pay their own spend,
	// left unspent.
	DustLeft int
	// Tracked are the scripts with expected answers: the heavy ones first.
	Tracked []*Tracked
	Elapsed time.Duration
	// Sign is the wall time spent signing (all workers busy); Submit
	// the wall time of the submitblock calls, which ran beside the
	// generator; SubmitTxs the transactions in the submitted blocks.
	Sign, Submit time.Duration
	SubmitTxs    int64
}

// FastNode is what GenerateFast needs from a node (Node and Client have it).
type FastNode interface {
	GetBlockCount(ctx context.Context) (int64, error)
	SubmitBlock(ctx context.Context, b *wire.MsgBlock) error
	GetBestBlockHash(ctx context.Context) (sdk.Hash, error)
}

// fastFirstTxHeight is the first block with transactions: witness and
// taproot spends are valid from block SegwitHeight+1 on.
const fastFirstTxHeight = SegwitHeight + 1

// signalVersion signals CSV, segwit and taproot (BIP9 bits 0-2), which
// activates them in btcd regtest at height 432 as `generate` does.
const signalVersion = 0x20000007

func (s *FastSpec) defaults() error {
	if s.Txs < 0 || s.TxPerBlock < 0 || s.Keys < 0 || s.Heavy < 0 || s.HeavyTxs < 0 || s.Watch < 0 || s.FundingOutputs < 0 {
		return errors.New("generate fast: negative count in spec")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.TxPerBlock, 2500)
	def(&s.Keys, 50_000)
	def(&s.FundingOutputs, 200)
	def(&s.Heavy, 3)
	def(&s.HeavyTxs, s.Txs/40)
	def(&s.Watch, 1000)
	def(&s.ForeignWatchEvery, 1000)
	def(&s.Workers, runtime.GOMAXPROCS(0))
	s.Watch = min(s.Watch, s.Keys)
	if s.StartTime.IsZero() {
		s.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if s.BlockInterval <= 0 {
		s.BlockInterval = 10 * time.Minute
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// GenerateFast builds the chain of spec on node, whose tip must be the
// genesis block (a fresh regtest node).
func GenerateFast(ctx context.Context, node FastNode, spec FastSpec) (*FastInfo, error) {
	start := time.Now()
	if err := spec.defaults(); err != nil {
		return nil, err
	}
	tip, err := node.GetBlockCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("generate fast: %w", err)
	}
	if tip != 0 {
		return nil, fmt.Errorf("generate fast: the node's tip is at height %d; it needs a fresh regtest node (tip 0)", tip)
	}
	g, err := newFastGen(spec)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sub := startSubmitter(ctx, node, cancel, 1)
	err = g.run(ctx, sub)
	close(sub.in)
	<-sub.done
	if err == nil {
		err = sub.err
	}
	if err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("generate fast: %w", err)
	}
	if err := checkTip(ctx, node, g.prevHash); err != nil {
		return nil, fmt.Errorf("generate fast: %w", err)
	}
	g.info.Height, g.info.TipHash = g.height, g.prevHash
	g.info.Submit, g.info.SubmitTxs = sub.elapsed, sub.txs
	g.info.Elapsed = time.Since(start)
	return g.info, nil
}

// blockSink takes the generator's blocks in order: the submitter, or a
// file (WriteFast).
type blockSink interface {
	send(ctx context.Context, b *wire.MsgBlock) error
	pending() int64 // blocks queued, not yet taken
}

func (s *submitter) pending() int64 { return s.queued.Load() }

func (s *submitter) send(ctx context.Context, b *wire.MsgBlock) error {
	s.queued.Add(1)
	select {
	case s.in <- b:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Subsidy is the block subsidy of btcd regtest at height (halving every
// 150 blocks).
func Subsidy(height int64) int64 {
	n := height / int64(chaincfg.RegressionNetParams.SubsidyReductionInterval)
	if n >= 64 {
		return 0
	}
	return 50_0000_0000 >> n
}

type fastGen struct {
	spec FastSpec
	rng  *rand.Rand
	info *FastInfo

	signer    *fastSigner
	keys      []*Script  // wallet scripts by key index
	trackOwn  []*Tracked // by key index; nil: not tracked
	heavy     []*Script
	heavyT    []*Tracked
	pool      []UTXO   // spendable in the next block
	heavyPool [][]UTXO // per heavy script
	immature  [][]UTXO // coinbase outputs by height, waiting for maturity
	foreignN  int

	height   int64
	prevHash chainhash.Hash
	prevTime time.Time
	lastLog  time.Time
}

func newFastGen(spec FastSpec) (*fastGen, error) {
	g := &fastGen{spec: spec, info: &FastInfo{ByType: map[string]int64{}},
		rng:      rand.New(rand.NewPCG(uint64(spec.Seed), 0x6661737467656e)),
		prevHash: *chaincfg.RegressionNetParams.GenesisHash,
		prevTime: spec.StartTime.Add(-spec.BlockInterval), lastLog: time.Now()}
	g.immature = make([][]UTXO, 0, 1024)
	g.signer = newFastSigner(spec.Seed, spec.Keys+spec.Heavy)
	keyType := func(i int) ScriptType {
		switch r := rand.New(rand.NewPCG(uint64(spec.Seed), uint64(i))).IntN(100); {
		case r < 55:
			return P2WPKH
		case r < 75:
			return P2TR
		case r < 90:
			return P2PKH
		}
		return P2SH
	}
	n := spec.Keys + spec.Heavy
	scripts := make([]*Script, n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range spec.Workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				t := keyType(i)
				if i >= spec.Keys {
					t = []ScriptType{P2WPKH, P2PKH, P2TR}[(i-spec.Keys)%3]
				}
				k := DeriveKey(spec.Seed, i, &chaincfg.RegressionNetParams)
				if scripts[i], errs[i] = newScript(k, t); errs[i] == nil && !spec.RFC6979 {
					errs[i] = g.signer.addKey(scripts[i])
				} else if t == P2TR {
					k.taprootPriv()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("generate fast: keys: %w", err)
	}
	g.keys, g.heavy = scripts[:spec.Keys], scripts[spec.Keys:]
	g.trackOwn = make([]*Tracked, spec.Keys)
	for i := range spec.Heavy {
		t := trackScript(g.heavy[i])
		t.Heavy = true
		g.heavyT = append(g.heavyT, t)
		g.info.Tracked = append(g.info.Tracked, t)
	}
	g.heavyPool = make([][]UTXO, spec.Heavy)
	for i := range spec.Watch {
		g.trackOwn[i] = trackScript(g.keys[i])
		g.info.Tracked = append(g.info.Tracked, g.trackOwn[i])
	}
	return g, nil
}

func trackScript(s *Script) *Tracked {
	return &Tracked{PkScript: s.PkScript, Type: s.Type.String(), Address: s.Address}
}

// tracked returns the Tracked of a wallet script, or nil.
func (g *fastGen) tracked(s *Script) *Tracked {
	if i := s.Key.Index; i >= 0 && i < len(g.trackOwn) && g.keys[i] == s {
		return g.trackOwn[i]
	}
	for j, h := range g.heavy {
		if h == s {
			return g.heavyT[j]
		}
	}
	return nil
}

func (g *fastGen) run(ctx context.Context, sub blockSink) error {
	for g.height < fastFirstTxHeight-1 {
		if _, err := g.blockTxs(ctx, sub, 0); err != nil {
			return err
		}
	}
	for left := g.spec.Txs; left > 0; {
		if d := g.spec.Deadline; !d.IsZero() && time.Now().After(d) {
			g.spec.Logger.Warn("deadline reached: the chain ends early", "height", g.height, "txs", g.info.Txs, "of", g.spec.Txs)
			break
		}
		n, err := g.blockTxs(ctx, sub, min(left, g.spec.TxPerBlock))
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("block %d: the wallet has no spendable outputs left", g.height)
		}
		left -= n
	}
	return nil
}

// blockTxs plans, signs, assembles and queues block g.height+1 with up to
// want transactions and returns how many it holds.
func (g *fastGen) blockTxs(ctx context.Context, sub blockSink, want int) (int, error) {
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	h := g.height + 1
	for len(g.immature) > 0 && len(g.immature[0]) > 0 && h-g.immature[0][0].Height >= CoinbaseMaturity {
		g.pool = append(g.pool, g.immature[0]...)
		g.immature = g.immature[1:]
	}
	plans := g.plan(want)
	t := time.Now()
	if err := g.sign(plans); err != nil {
		return 0, fmt.Errorf("block %d: %w", h, err)
	}
	g.info.Sign += time.Since(t)
	txs := make([]*wire.MsgTx, len(plans))
	var fees int64
	for i, p := range plans {
		txs[i] = p.tx
		fees += p.fee
		g.apply(p, h)
	}
	payouts, cbUTXOs := g.coinbasePayouts(h, Subsidy(h)+fees)
	version := int32(0x20000000)
	if h < fastFirstTxHeight {
		version = signalVersion
	}
	ts := g.prevTime.Add(g.spec.BlockInterval)
	b, err := AssembleBlock(BlockTemplate{Height: h, PrevHash: g.prevHash, Time: ts, Version: version,
		Tag: []byte("amber/fastgen"), Payouts: payouts, Txs: txs})
	if err != nil {
		return 0, err
	}
	cbid := b.Transactions[0].TxHash()
	for i := range cbUTXOs {
		cbUTXOs[i].OutPoint = wire.OutPoint{Hash: cbid, Index: uint32(i)}
		if tr := g.tracked(cbUTXOs[i].Script); tr != nil {
			tr.UTXOs++
			tr.Confirmed += cbUTXOs[i].Value
			tr.History = insertCoinbase(tr.History, HistoryEntry{Txid: sdk.Hash(cbid), Height: h})
		}
	}
	g.immature = append(g.immature, cbUTXOs)
	g.height, g.prevHash, g.prevTime = h, b.BlockHash(), ts
	g.info.Blocks++
	if len(txs) > 0 {
		g.info.TxBlocks++
	}
	g.info.Txs += len(txs)
	g.info.MaxBlockTxs = max(g.info.MaxBlockTxs, len(txs))
	g.info.Bytes += int64(b.SerializeSize())
	if err := sub.send(ctx, b); err != nil {
		return 0, err
	}
	if time.Since(g.lastLog) >= 10*time.Second {
		g.lastLog = time.Now()
		g.spec.Logger.Info("generating", "height", h, "txs", g.info.Txs, "of", g.spec.Txs,
			"pool", len(g.pool), "submit_queue", sub.pending())
	}
	return len(txs), nil
}

// insertCoinbase puts the coinbase entry e first among the entries of its
// block (the block's other transactions were applied before it), once.
func insertCoinbase(hist []HistoryEntry, e HistoryEntry) []HistoryEntry {
	i := len(hist)
	for i > 0 && hist[i-1].Height == e.Height {
		i--
	}
	if i < len(hist) && hist[i] == e {
		return hist
	}
	return slices.Insert(hist, i, e)
}

// coinbasePayouts splits value over the coinbase outputs: FundingOutputs
// wallet outputs before the first transaction block, one after.
func (g *fastGen) coinbasePayouts(h, value int64) ([]*wire.TxOut, []UTXO) {
	n := 1
	if h < fastFirstTxHeight {
		n = g.spec.FundingOutputs
	}
	outs := make([]*wire.TxOut, 0, n)
	utxos := make([]UTXO, 0, n)
	for i := range n {
		v := value / int64(n)
		if i == n-1 {
			v = value - v*int64(n-1)
		}
		s := g.keys[g.rng.IntN(len(g.keys))] // spent from fastFirstTxHeight on: any type
		outs = append(outs, wire.NewTxOut(v, s.PkScript))
		utxos = append(utxos, UTXO{Value: v, Script: s, Height: h, Coinbase: true})
	}
	return outs, utxos
}

// sign signs the planned transactions on all workers.
func (g *fastGen) sign(plans []*plannedTx) error {
	errs := make([]error, g.spec.Workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range g.spec.Workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(plans); i = int(next.Add(1) - 1) {
				sign := g.signer.signTx
				if g.spec.RFC6979 {
					sign = SignTx
				}
				if err := sign(plans[i].tx, plans[i].prevs); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// apply records a signed transaction of block h: its wallet outputs join
// the pools (spendable from block h+1), tracked scripts get their history
// entry and balances.
func (g *fastGen) apply(p *plannedTx, h int64) {
	tx := p.tx
	txid := tx.TxHash()
	var touched []*Tracked
	touch := func(t *Tracked) {
		for _, x := range touched {
			if x == t {
				return
			}
		}
		touched = append(touched, t)
	}
	for _, u := range p.prevs {
		if t := g.tracked(u.Script); t != nil {
			t.UTXOs--
			t.Confirmed -= u.Value
			touch(t)
		}
	}
	for i, o := range p.outs {
		out := tx.TxOut[i]
		if o.foreign {
			if o.track != nil {
				o.track.UTXOs++
				o.track.Confirmed += out.Value
				touch(o.track)
			}
			continue
		}
		u := UTXO{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)}, Value: out.Value, Script: o.script, Height: h}
		if o.heavy >= 0 {
			g.heavyPool[o.heavy] = append(g.heavyPool[o.heavy], u)
		} else {
			g.pool = append(g.pool, u)
		}
		if t := g.tracked(o.script); t != nil {
			t.UTXOs++
			t.Confirmed += out.Value
			touch(t)
		}
	}
	for _, t := range touched {
		t.History = append(t.History, HistoryEntry{Txid: sdk.Hash(txid), Height: h})
	}
	g.info.Inputs += int64(len(tx.TxIn))
	g.info.Outputs += int64(len(tx.TxOut))
	g.info.MaxInputs = max(g.info.MaxInputs, len(tx.TxIn))
	g.info.MaxOutputs = max(g.info.MaxOutputs, len(tx.TxOut))
	for _, o := range p.outs {
		g.info.ByType[o.typ]++
	}
}

// foreignScript makes a script outside the wallet (never spent): 50 %
// P2WPKH, 22 % P2TR, 13 % P2PKH, 10 % P2SH, 5 % P2WSH.
func (g *fastGen) foreignScript() ([]byte, string) {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	switch r := g.rng.IntN(100); {
	case r < 50:
		return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, b[:20]...), "p2wpkh"
	case r < 72:
		return append([]byte{txscript.OP_1, txscript.OP_DATA_32}, b[:]...), "p2tr"
	case r < 85:
		s := append([]byte{txscript.OP_DUP, txscript.OP_HASH160, txscript.OP_DATA_20}, b[:20]...)
		return append(s, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG), "p2pkh"
	case r < 95:
		s := append([]byte{txscript.OP_HASH160, txscript.OP_DATA_20}, b[:20]...)
		return append(s, txscript.OP_EQUAL), "p2sh"
	}
	return append([]byte{txscript.OP_0, txscript.OP_DATA_32}, b[:]...), "p2wsh"
}

// foreignAddress encodes a foreign script's regtest address ("" if none).
func foreignAddress(pk []byte) string {
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(pk, &chaincfg.RegressionNetParams)
	if err != nil || len(addrs) != 1 {
		return ""
	}
	return addrs[0].EncodeAddress()
}

var _ FastNode = (*Client)(nil)
