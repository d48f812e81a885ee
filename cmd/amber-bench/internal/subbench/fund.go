package subbench

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
)

// Node is what the benchmark needs from the daemon (regtest.Client has it).
type Node interface {
	regtest.BlockSource
	Generate(ctx context.Context, n int) ([]sdk.Hash, error)
	RawMempool(ctx context.Context) ([]sdk.Hash, error)
	GetRawTransaction(ctx context.Context, txid sdk.Hash) (*wire.MsgTx, error)
	SendRawTxs(ctx context.Context, txs []*wire.MsgTx) ([]sdk.Hash, error)
}

// NewWallet returns a regtest wallet of seed that knows the node's chain
// and mempool: it is synced from the blocks, then the mempool transactions
// are applied (parents first), so it never spends an output a mempool
// transaction already spent. btcd's `generate` pays the harness key, which
// every wallet holds, so its coinbases are what the wallet spends, besides
// the change earlier runs with the same seed left (both change scripts are
// watched before the scan).
func NewWallet(ctx context.Context, node Node, seed int64) (*regtest.Wallet, error) {
	w := regtest.NewWallet(seed, &chaincfg.RegressionNetParams)
	for _, t := range []regtest.ScriptType{regtest.P2PKH, regtest.P2WPKH} {
		if _, err := w.Script(regtest.ChangeIndex, t); err != nil {
			return nil, err
		}
	}
	if err := w.Sync(ctx, node); err != nil {
		return nil, err
	}
	ids, err := node.RawMempool(ctx)
	if err != nil {
		return nil, fmt.Errorf("mempool: %w", err)
	}
	txs := make(map[sdk.Hash]*wire.MsgTx, len(ids))
	for _, id := range ids {
		tx, err := node.GetRawTransaction(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("mempool tx %s: %w", id, err)
		}
		txs[id] = tx
	}
	for _, tx := range topoOrder(txs) {
		w.AddTx(tx)
	}
	return w, nil
}

// topoOrder lists txs with every transaction after the ones of txs it
// spends (ties in map order: only the parent-first property matters).
func topoOrder(txs map[sdk.Hash]*wire.MsgTx) []*wire.MsgTx {
	out := make([]*wire.MsgTx, 0, len(txs))
	done := make(map[sdk.Hash]bool, len(txs))
	var visit func(id sdk.Hash, tx *wire.MsgTx)
	visit = func(id sdk.Hash, tx *wire.MsgTx) {
		if done[id] {
			return
		}
		done[id] = true
		for _, in := range tx.TxIn {
			pid := sdk.Hash(in.PreviousOutPoint.Hash)
			if p, ok := txs[pid]; ok {
				visit(pid, p)
			}
		}
		out = append(out, tx)
	}
	for id, tx := range txs {
		visit(id, tx)
	}
	return out
}

// collector is a TxSender that only collects: Pay signs and applies the
// transaction to the wallet, and the caller broadcasts all of them at once.
type collector struct{ txs []*wire.MsgTx }

func (c *collector) SendRawTx(_ context.Context, tx *wire.MsgTx) (sdk.Hash, error) {
	c.txs = append(c.txs, tx)
	return sdk.Hash(tx.TxHash()), nil
}

// BuildFunding signs transactions paying outs from w, at most per outputs
// each (SplitOutputs), at feeRate sat/vB; each spends the previous one's
// change when it needs to. Nothing is broadcast: send the result in order.
func BuildFunding(ctx context.Context, w *regtest.Wallet, outs []*wire.TxOut, per int, feeRate float64) ([]*wire.MsgTx, error) {
	chunks, err := SplitOutputs(outs, per)
	if err != nil {
		return nil, err
	}
	var c collector
	for i, chunk := range chunks {
		if _, err := w.Pay(ctx, &c, chunk, feeRate); err != nil {
			return nil, fmt.Errorf("funding tx %d/%d: %w", i+1, len(chunks), err)
		}
	}
	return c.txs, nil
}

// MatureBlocks is how many blocks to mine so that the first one's coinbase
// becomes spendable (regtest.CoinbaseMaturity, plus one for safety).
const MatureBlocks = regtest.CoinbaseMaturity + 1

// Fund builds the funding transactions (BuildFunding) from a wallet synced
// with the node; if the wallet cannot pay, it mines MatureBlocks blocks
// (to the harness key) and tries once more. It returns the transactions,
// the mempool txids at signing time and the blocks it mined.
func Fund(ctx context.Context, node Node, seed int64, outs []*wire.TxOut, per int, feeRate float64) ([]*wire.MsgTx, []sdk.Hash, int, error) {
	mined := 0
	for {
		w, err := NewWallet(ctx, node, seed)
		if err != nil {
			return nil, nil, mined, err
		}
		pool, err := node.RawMempool(ctx)
		if err != nil {
			return nil, nil, mined, fmt.Errorf("mempool: %w", err)
		}
		txs, err := BuildFunding(ctx, w, outs, per, feeRate)
		if err == nil || !errors.Is(err, regtest.ErrInsufficientFunds) || mined > 0 {
			return txs, pool, mined, err
		}
		if _, err := node.Generate(ctx, MatureBlocks); err != nil {
			return nil, nil, mined, fmt.Errorf("mining funds: %w", err)
		}
		mined = MatureBlocks
	}
}
