package regtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// Consensus facts of btcd regtest that decide when an output is spendable.
const (
	// SegwitHeight: btcd regtest accepts witness (and taproot) spends once
	// the tip is at this height, i.e. in block SegwitHeight+1 and later.
	SegwitHeight = 431
	// CoinbaseMaturity: a coinbase of height h can be spent in block
	// h+CoinbaseMaturity, i.e. once the tip is at h+CoinbaseMaturity-1.
	CoinbaseMaturity = 100
)

// ChangeIndex is the derivation index of the key Pay sends change to.
const ChangeIndex = 1 << 30

// UTXO is an unspent output the wallet can sign for.
type UTXO struct {
	OutPoint wire.OutPoint
	Value    int64
	Script   *Script
	Height   int64 // 0 while unconfirmed
	Coinbase bool
	seq      uint64 // creation order, for deterministic listings
}

// Spendable reports whether btcd would accept a spend of u in the next
// block when the tip is at height tip.
func (u UTXO) Spendable(tip int64) bool {
	if u.Coinbase && (u.Height == 0 || tip+1-u.Height < CoinbaseMaturity) {
		return false
	}
	return !u.Script.Type.IsWitness() || tip >= SegwitHeight
}

// TxOut returns the output as a wire.TxOut.
func (u UTXO) TxOut() *wire.TxOut { return wire.NewTxOut(u.Value, u.Script.PkScript) }

// TxEffect is what a transaction did to the wallet.
type TxEffect struct {
	Txid     sdk.Hash
	Spent    []UTXO    // wallet outputs it spent
	Received []UTXO    // wallet outputs it created
	Scripts  []*Script // distinct wallet scripts it touched, inputs first
}

func (e *TxEffect) touch(s *Script) {
	if !slices.Contains(e.Scripts, s) {
		e.Scripts = append(e.Scripts, s)
	}
}

// Wallet is a deterministic key and UTXO manager. Keys come from DeriveKey
// (seed, index) plus the HarnessKey; the wallet watches the scripts it was
// asked for (Script, Watch) and tracks the outputs paying them from scanned
// blocks (ApplyBlock, Sync) and from transactions it is told about (AddTx).
// It is safe for concurrent use.
type Wallet struct {
	seed int64
	net  *chaincfg.Params

	mu      sync.Mutex
	keys    map[int]*Key
	scripts map[string]*Script // by string(pkScript)
	utxos   map[wire.OutPoint]*UTXO
	pending map[sdk.Hash]TxEffect // applied with AddTx, not yet in a block
	hashes  []sdk.Hash            // hashes[h] = scanned block at height h
	seq     uint64
}

// NewWallet returns an empty wallet for seed on net (regtest:
// &chaincfg.RegressionNetParams). It watches the harness key's P2PKH script,
// which default nodes mine to.
func NewWallet(seed int64, net *chaincfg.Params) *Wallet {
	w := &Wallet{seed: seed, net: net, keys: map[int]*Key{}, scripts: map[string]*Script{}}
	w.resetLocked()
	h := HarnessKey(net)
	w.keys[HarnessIndex] = h
	if _, err := w.Watch(h, P2PKH); err != nil {
		panic(err) // P2PKH of a valid key cannot fail
	}
	return w
}

// Net returns the wallet's network parameters.
func (w *Wallet) Net() *chaincfg.Params { return w.net }

// Seed returns the wallet's seed.
func (w *Wallet) Seed() int64 { return w.seed }

// Key returns key index (HarnessIndex for the harness key).
func (w *Wallet) Key(index int) *Key {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.keyLocked(index)
}

func (w *Wallet) keyLocked(index int) *Key {
	if k, ok := w.keys[index]; ok {
		return k
	}
	k := DeriveKey(w.seed, index, w.net)
	w.keys[index] = k
	return k
}

// Script returns key index's script of type t and watches it.
func (w *Wallet) Script(index int, t ScriptType) (*Script, error) {
	return w.Watch(w.Key(index), t)
}

// MiningScript returns the harness key's P2PKH script (the default
// --miningaddr).
func (w *Wallet) MiningScript() *Script {
	s, _ := w.Watch(w.Key(HarnessIndex), P2PKH)
	return s
}

// Watch makes the wallet track outputs paying k with type t and returns the
// script. Outputs in blocks scanned earlier are not picked up (Reset and
// Sync again for that).
func (w *Wallet) Watch(k *Key, t ScriptType) (*Script, error) {
	s, err := newScript(k, t)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if old, ok := w.scripts[string(s.PkScript)]; ok {
		return old, nil
	}
	w.scripts[string(s.PkScript)] = s
	return s, nil
}

// Lookup returns the watched script equal to pkScript, or nil.
func (w *Wallet) Lookup(pkScript []byte) *Script {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.scripts[string(pkScript)]
}

// UTXOs returns the unspent outputs in creation order.
func (w *Wallet) UTXOs() []UTXO {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]UTXO, 0, len(w.utxos))
	for _, u := range w.utxos {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b UTXO) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// UTXO returns the unspent output at op.
func (w *Wallet) UTXO(op wire.OutPoint) (UTXO, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.utxos[op]
	if !ok {
		return UTXO{}, false
	}
	return *u, true
}

// Balance returns the confirmed and unconfirmed value of the unspent outputs.
func (w *Wallet) Balance() (confirmed, unconfirmed int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, u := range w.utxos {
		if u.Height > 0 {
			confirmed += u.Value
		} else {
			unconfirmed += u.Value
		}
	}
	return confirmed, unconfirmed
}

// Height returns the height of the last scanned block (0: none).
func (w *Wallet) Height() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int64(len(w.hashes)) - 1
}

// TipHash returns the hash of the last scanned block (genesis: none).
func (w *Wallet) TipHash() sdk.Hash {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hashes[len(w.hashes)-1]
}

// Reset forgets all outputs, pending transactions and scanned blocks (keys
// and watched scripts stay). Needed after a node Restart, which wipes the
// chain.
func (w *Wallet) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.resetLocked()
}

func (w *Wallet) resetLocked() {
	w.utxos = map[wire.OutPoint]*UTXO{}
	w.pending = map[sdk.Hash]TxEffect{}
	w.hashes = []sdk.Hash{sdk.Hash(*w.net.GenesisHash)}
}

// AddTx applies an unconfirmed transaction (typically one the wallet just
// signed and sent): its wallet inputs are spent, its wallet outputs become
// unconfirmed UTXOs.
func (w *Wallet) AddTx(tx *wire.MsgTx) TxEffect {
	w.mu.Lock()
	defer w.mu.Unlock()
	txid := sdk.Hash(tx.TxHash())
	if e, ok := w.pending[txid]; ok {
		return e
	}
	e := w.applyLocked(tx, txid, 0)
	w.pending[txid] = e
	return e
}

func (w *Wallet) applyLocked(tx *wire.MsgTx, txid sdk.Hash, height int64) TxEffect {
	e := TxEffect{Txid: txid}
	coinbase := blockchain.IsCoinBaseTx(tx)
	if !coinbase {
		for _, in := range tx.TxIn {
			if u, ok := w.utxos[in.PreviousOutPoint]; ok {
				e.Spent = append(e.Spent, *u)
				e.touch(u.Script)
				delete(w.utxos, in.PreviousOutPoint)
			}
		}
	}
	for i, out := range tx.TxOut {
		s, ok := w.scripts[string(out.PkScript)]
		if !ok {
			continue
		}
		w.seq++
		u := &UTXO{
			OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)},
			Value:    out.Value, Script: s, Height: height, Coinbase: coinbase, seq: w.seq,
		}
		w.utxos[u.OutPoint] = u
		e.Received = append(e.Received, *u)
		e.touch(s)
	}
	return e
}

// ApplyBlock scans the block at height (which must be Height()+1) and
// returns the effect of each transaction that touched the wallet, in block
// order. Transactions applied earlier with AddTx are confirmed.
func (w *Wallet) ApplyBlock(b *wire.MsgBlock, height int64) ([]TxEffect, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if want := int64(len(w.hashes)); height != want {
		return nil, fmt.Errorf("apply block: height %d, want %d", height, want)
	}
	if prev := sdk.Hash(b.Header.PrevBlock); prev != w.hashes[height-1] {
		return nil, fmt.Errorf("apply block %d: prev %s does not extend %s", height, prev, w.hashes[height-1])
	}
	var effects []TxEffect
	for _, tx := range b.Transactions {
		txid := sdk.Hash(tx.TxHash())
		e, ok := w.pending[txid]
		if ok {
			delete(w.pending, txid)
			for i := range e.Received {
				e.Received[i].Height = height
				if u, live := w.utxos[e.Received[i].OutPoint]; live {
					u.Height = height
				}
			}
		} else {
			e = w.applyLocked(tx, txid, height)
		}
		if len(e.Scripts) > 0 {
			effects = append(effects, e)
		}
	}
	w.hashes = append(w.hashes, sdk.Hash(b.BlockHash()))
	return effects, nil
}

// BlockSource is what Sync needs from a node (Client and Node have it).
type BlockSource interface {
	GetBlockCount(ctx context.Context) (int64, error)
	GetBlockHashes(ctx context.Context, start, end int64) ([]sdk.Hash, error)
	GetBlocks(ctx context.Context, hashes []sdk.Hash) ([]*wire.MsgBlock, error)
}

// Sync scans the blocks the wallet has not seen, up to the node's tip. If
// the node's chain no longer contains the wallet's last block (a reorg or a
// restarted node), the wallet is Reset and rescans from height 1.
func (w *Wallet) Sync(ctx context.Context, src BlockSource) error {
	tip, err := src.GetBlockCount(ctx)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if have := w.Height(); have > 0 {
		reset := have > tip
		if !reset {
			hs, err := src.GetBlockHashes(ctx, have, have)
			if err != nil {
				return fmt.Errorf("sync: %w", err)
			}
			w.mu.Lock()
			reset = hs[0] != w.hashes[have]
			w.mu.Unlock()
		}
		if reset {
			w.Reset()
		}
	}
	const batch = 100
	for start := w.Height() + 1; start <= tip; start += batch {
		end := min(start+batch-1, tip)
		hs, err := src.GetBlockHashes(ctx, start, end)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		bs, err := src.GetBlocks(ctx, hs)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		for i, b := range bs {
			if _, err := w.ApplyBlock(b, start+int64(i)); err != nil {
				return fmt.Errorf("sync: %w", err)
			}
		}
	}
	return nil
}
