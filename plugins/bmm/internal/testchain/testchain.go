// Package testchain builds mainchain blocks whose coinbase carries BIP301
// BMM Accept outputs, with a valid merkle root and solved proof of work, for
// the BMM plugin's tests (a regtest node takes them through submitblock),
// and offers Fake, an in-memory mainchain with reorgs.
package testchain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/sdk"
)

// Coinbase returns a coinbase for height paying value to OP_TRUE, then one
// output per accept in the given layout. tag makes otherwise identical
// coinbases (competing blocks) differ.
func Coinbase(height int64, value int64, tag int64, layout bip301.Layout, accepts ...bip301.Accept) *wire.MsgTx {
	sig, err := txscript.NewScriptBuilder().AddInt64(height).AddInt64(tag).Script()
	if err != nil {
		panic(err) // two small integers always fit
	}
	tx := wire.NewMsgTx(1)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  sig,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	tx.AddTxOut(wire.NewTxOut(value, []byte{txscript.OP_TRUE}))
	for _, a := range accepts {
		tx.AddTxOut(a.TxOut(layout))
	}
	return tx
}

// AddWitnessCommitment makes txs[0], a coinbase, carry what BIP141 asks of
// a block with witness data: the witness reserved value (32 zero bytes) as
// its input's witness and, as a new last output, the commitment to the
// witness merkle root of txs. Call it before NewBlock (the coinbase's txid
// changes).
func AddWitnessCommitment(txs []*wire.MsgTx) {
	cb := txs[0]
	cb.TxIn[0].Witness = wire.TxWitness{make([]byte, 32)}
	utxs := make([]*btcutil.Tx, len(txs))
	for i, tx := range txs {
		utxs[i] = btcutil.NewTx(tx)
	}
	root := blockchain.CalcMerkleRoot(utxs, true) // the coinbase counts as zero
	var buf [64]byte
	copy(buf[:32], root[:]) // then the 32-byte reserved value, zero
	script := append([]byte{txscript.OP_RETURN, 0x24, 0xaa, 0x21, 0xa9, 0xed}, chainhash.DoubleHashB(buf[:])...)
	cb.AddTxOut(wire.NewTxOut(0, script))
}

// NewBlock returns a block on prev with txs (the coinbase first), the
// merkle root filled in and the nonce searched until the header meets bits.
func NewBlock(prev chainhash.Hash, bits uint32, ts time.Time, txs ...*wire.MsgTx) *wire.MsgBlock {
	ids := make([]sdk.Hash, len(txs))
	for i, tx := range txs {
		ids[i] = sdk.Hash(tx.TxHash())
	}
	_, root := merkle.Branch(ids, 0)
	b := &wire.MsgBlock{Header: wire.BlockHeader{
		Version: 0x20000000, PrevBlock: prev, MerkleRoot: chainhash.Hash(root),
		Timestamp: time.Unix(ts.Unix(), 0), Bits: bits,
	}}
	b.Transactions = txs
	Solve(&b.Header)
	return b
}

// Solve searches the nonce (and then the timestamp) until h meets its bits.
// Only for regtest-like targets: it does not give up.
func Solve(h *wire.BlockHeader) {
	target := blockchain.CompactToBig(h.Bits)
	for h.Nonce = 0; ; h.Nonce++ {
		hash := h.BlockHash()
		if blockchain.HashToBig(&hash).Cmp(target) <= 0 {
			return
		}
		if h.Nonce == ^uint32(0) {
			h.Timestamp = h.Timestamp.Add(time.Second)
		}
	}
}

// RegtestBits is the regtest proof-of-work limit, the bits every regtest
// block carries.
var RegtestBits = chaincfg.RegressionNetParams.PowLimitBits

// Fake is an in-memory mainchain: the best chain is a list of blocks, and
// every block ever added stays fetchable by hash (as in a real node). It
// implements the readers of follow and proof. The zero value is unusable;
// use NewFake.
type Fake struct {
	mu     sync.Mutex
	chain  []*wire.MsgBlock
	byHash map[sdk.Hash]*wire.MsgBlock
	tag    int64
	// Fail, when set, makes every call return it.
	Fail error
	// Btcd makes getblockhash past the tip answer as btcd does (-1 "Block
	// number out of range") instead of bitcoind's -8.
	Btcd bool
	// Calls counts the calls made.
	Calls int
}

// NewFake returns a chain holding the regtest genesis block.
func NewFake() *Fake {
	g := chaincfg.RegressionNetParams.GenesisBlock
	return &Fake{chain: []*wire.MsgBlock{g}, byHash: map[sdk.Hash]*wire.MsgBlock{sdk.Hash(g.BlockHash()): g}}
}

// Mine appends a block whose coinbase carries accepts (raw layout) and
// returns its hash.
func (f *Fake) Mine(accepts ...bip301.Accept) sdk.Hash {
	return f.MineLayout(bip301.Raw, accepts...)
}

// MineLayout is Mine with a choice of layout.
func (f *Fake) MineLayout(l bip301.Layout, accepts ...bip301.Accept) sdk.Hash {
	return f.mine(l, false, accepts)
}

// MineWitness is Mine with a segwit coinbase: the witness reserved value
// as its witness and a witness commitment output after the accepts.
func (f *Fake) MineWitness(accepts ...bip301.Accept) sdk.Hash {
	return f.mine(bip301.Raw, true, accepts)
}

func (f *Fake) mine(l bip301.Layout, witness bool, accepts []bip301.Accept) sdk.Hash {
	f.mu.Lock()
	defer f.mu.Unlock()
	tip := f.chain[len(f.chain)-1]
	height := int64(len(f.chain))
	f.tag++
	extra := wire.NewMsgTx(1)
	extra.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{byte(f.tag)}}})
	extra.AddTxOut(wire.NewTxOut(1, []byte{txscript.OP_TRUE}))
	txs := []*wire.MsgTx{Coinbase(height, 50e8, f.tag, l, accepts...), extra}
	if witness {
		AddWitnessCommitment(txs)
	}
	b := NewBlock(tip.BlockHash(), RegtestBits, tip.Header.Timestamp.Add(time.Second), txs...)
	f.chain = append(f.chain, b)
	h := sdk.Hash(b.BlockHash())
	f.byHash[h] = b
	return h
}

// Rewind drops the best-chain blocks above height (a reorg's first half;
// Mine the competing blocks next).
func (f *Fake) Rewind(height int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chain = f.chain[:height+1]
}

// Height returns the best chain's height.
func (f *Fake) Height() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.chain) - 1)
}

func (f *Fake) begin(ctx context.Context) error {
	f.Calls++
	if f.Fail != nil {
		return f.Fail
	}
	return ctx.Err()
}

// BlockCount implements the mainchain readers.
func (f *Fake) BlockCount(ctx context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx); err != nil {
		return 0, err
	}
	return int64(len(f.chain) - 1), nil
}

// BlockHash implements the mainchain readers.
func (f *Fake) BlockHash(ctx context.Context, height int64) (sdk.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx); err != nil {
		return sdk.Hash{}, err
	}
	if height < 0 || height >= int64(len(f.chain)) {
		if f.Btcd {
			return sdk.Hash{}, sdk.DaemonError(-1, "Block number out of range")
		}
		return sdk.Hash{}, sdk.DaemonError(-8, "Block height out of range")
	}
	return sdk.Hash(f.chain[height].BlockHash()), nil
}

// Block implements the mainchain readers.
func (f *Fake) Block(ctx context.Context, hash sdk.Hash) (mainchain.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx); err != nil {
		return mainchain.Block{}, err
	}
	b, ok := f.byHash[hash]
	if !ok {
		return mainchain.Block{}, sdk.DaemonError(-5, fmt.Sprintf("Block not found: %s", hash))
	}
	return mainchain.Block{Hash: hash, MsgBlock: b}, nil
}

// Handler serves f over JSON-RPC (getblockcount, getblockhash, getblock
// with verbosity 0), as a mainchain node would, for an httptest server.
func (f *Fake) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		result, err := f.serve(r.Context(), req.Method, req.Params)
		reply := map[string]any{"id": req.ID, "result": result, "error": nil}
		if err != nil {
			code, msg := -1, err.Error()
			var de *sdk.Error
			if errors.As(err, &de) && de.Kind == sdk.KindDaemon {
				code, msg = de.DaemonCode, de.DaemonMessage
			}
			reply["result"], reply["error"] = nil, map[string]any{"code": code, "message": msg}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply)
	})
}

func (f *Fake) serve(ctx context.Context, method string, params []json.RawMessage) (any, error) {
	arg := func(i int, v any) error {
		if i >= len(params) {
			return sdk.DaemonError(-1, "missing parameter")
		}
		return json.Unmarshal(params[i], v)
	}
	switch method {
	case "getblockcount":
		return f.BlockCount(ctx)
	case "getblockhash":
		var h int64
		if err := arg(0, &h); err != nil {
			return nil, err
		}
		hash, err := f.BlockHash(ctx, h)
		return hash.String(), err
	case "getblock":
		var s string
		if err := arg(0, &s); err != nil {
			return nil, err
		}
		hash, err := sdk.ParseHash(s)
		if err != nil {
			return nil, sdk.DaemonError(-8, err.Error())
		}
		b, err := f.Block(ctx, hash)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			return nil, err
		}
		return hex.EncodeToString(buf.Bytes()), nil
	}
	return nil, sdk.DaemonError(-32601, "Method not found")
}
