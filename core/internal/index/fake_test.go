package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/internal/store/storetest"
	"github.com/amber-electrum/amber/sdk"
)

// fakeChain is an in-memory daemon: a best chain of wire blocks and a mempool.
type fakeChain struct {
	mu      sync.Mutex
	blocks  []*wire.MsgBlock
	mempool []*wire.MsgTx
	tipErr  error
}

func (c *fakeChain) set(blocks []*wire.MsgBlock, mempool ...*wire.MsgTx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocks = append([]*wire.MsgBlock(nil), blocks...)
	c.mempool = mempool
}

func (c *fakeChain) Tip(context.Context) (sdk.Tip, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tipErr != nil {
		return sdk.Tip{}, c.tipErr
	}
	n := len(c.blocks) - 1
	return sdk.Tip{Height: int64(n), Hash: sdk.Hash(c.blocks[n].BlockHash())}, nil
}

func (c *fakeChain) BlockHashes(_ context.Context, start int64, count int) ([]sdk.Hash, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []sdk.Hash
	for h := start; h < start+int64(count) && h < int64(len(c.blocks)); h++ {
		out = append(out, sdk.Hash(c.blocks[h].BlockHash()))
	}
	return out, nil
}

func (c *fakeChain) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	c.mu.Lock()
	var bs []sdk.Block
	for h := start; h < start+int64(count) && h < int64(len(c.blocks)); h++ {
		var buf bytes.Buffer
		if err := c.blocks[h].Serialize(&buf); err != nil {
			c.mu.Unlock()
			return err
		}
		bs = append(bs, sdk.Block{Height: h, Hash: sdk.Hash(c.blocks[h].BlockHash()), Raw: buf.Bytes()})
	}
	c.mu.Unlock()
	for _, b := range bs {
		if err := yield(b); err != nil {
			return err
		}
	}
	return nil
}

func (c *fakeChain) MempoolTxids(context.Context) ([]sdk.Hash, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []sdk.Hash
	for _, tx := range c.mempool {
		out = append(out, sdk.Hash(tx.TxHash()))
	}
	return out, nil
}

func (c *fakeChain) MempoolTransactions(_ context.Context, txids []sdk.Hash) ([][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([][]byte, len(txids))
	for i, id := range txids {
		for _, tx := range c.mempool {
			if sdk.Hash(tx.TxHash()) == id {
				var buf bytes.Buffer
				_ = tx.Serialize(&buf)
				out[i] = buf.Bytes()
			}
		}
	}
	return out, nil
}

// Scripts.
func p2pkh(n byte) []byte {
	return append(append([]byte{0x76, 0xa9, 0x14}, bytes.Repeat([]byte{n}, 20)...), 0x88, 0xac)
}
func p2wpkh(n byte) []byte { return append([]byte{0x00, 0x14}, bytes.Repeat([]byte{n}, 20)...) }

var opReturn = []byte{0x6a, 0x04, 0xde, 0xad, 0xbe, 0xef}

type out struct {
	script []byte
	value  int64
}

func op(tx *wire.MsgTx, vout uint32) wire.OutPoint {
	return wire.OutPoint{Hash: tx.TxHash(), Index: vout}
}

// spend builds a tx spending ins with outputs outs; witness adds witness data.
func spend(ins []wire.OutPoint, witness bool, outs ...out) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for _, in := range ins {
		ti := wire.NewTxIn(&in, []byte{0x51}, nil)
		if witness {
			ti.SignatureScript = nil
			ti.Witness = wire.TxWitness{bytes.Repeat([]byte{0x30}, 71), bytes.Repeat([]byte{0x02}, 33)}
		}
		tx.AddTxIn(ti)
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.value, o.script))
	}
	return tx
}

func coinbase(height int64, tag byte, outs ...out) *wire.MsgTx {
	tx := wire.NewMsgTx(1)
	sig := binary.LittleEndian.AppendUint32([]byte{0x04}, uint32(height))
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 0xffffffff}, append(sig, tag), nil))
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.value, o.script))
	}
	return tx
}

// mkBlock builds a block on prev (nil for genesis) with txs; tag varies the hash.
func mkBlock(prev *wire.MsgBlock, height int64, tag byte, txs ...*wire.MsgTx) *wire.MsgBlock {
	var ph chainhash.Hash
	if prev != nil {
		ph = prev.BlockHash()
	}
	if len(txs) == 0 || !isCoinbase(txs[0]) {
		txs = append([]*wire.MsgTx{coinbase(height, tag, out{p2pkh(0xc0 + tag), 50e8})}, txs...)
	}
	b := wire.NewMsgBlock(wire.NewBlockHeader(1, &ph, &chainhash.Hash{byte(height), tag}, 0x207fffff, uint32(height)<<8|uint32(tag)))
	b.Header.Timestamp = time.Unix(1700000000+height*600, 0)
	for _, tx := range txs {
		_ = b.AddTransaction(tx)
	}
	return b
}

func isCoinbase(tx *wire.MsgTx) bool {
	return len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint.Index == 0xffffffff && tx.TxIn[0].PreviousOutPoint.Hash == (chainhash.Hash{})
}

func genesisBlock() *wire.MsgBlock {
	return mkBlock(nil, 0, 0, coinbase(0, 0, out{p2pkh(0x99), 50e8}))
}

// testEngines are the stores the engine-neutral index tests run on:
// buntdb in memory, then each disk engine in a temporary directory.
// "pebble-bulk" is pebble with every sync batch ingested as sorted tables
// (store.BulkLoader), however small.
var testEngines = append([]string{"memory"}, append(store.Engines, "pebble-bulk")...)

// openTestStore opens an empty store of engine ("memory" or a store
// engine name), closed when the test ends.
func openTestStore(t testing.TB, engine string) store.Store {
	t.Helper()
	if engine == "memory" {
		return storetest.OpenMemory()
	}
	var s store.Store
	var err error
	if engine == "pebble-bulk" {
		s, err = store.OpenPebble(t.TempDir(), store.PebbleOptions{Sync: store.SyncNever, CacheMB: 16, BulkMinBytes: 1})
	} else {
		s, err = store.Open(context.Background(), t.TempDir(), store.Options{Engine: engine, Sync: store.SyncNever, CacheMB: 16})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newTestIndex opens an index over s (a fresh memory store if nil).
func newTestIndex(t testing.TB, chain *fakeChain, s store.Store, mod func(*Options)) *Index {
	t.Helper()
	if s == nil {
		s = storetest.OpenMemory()
	}
	opts := Options{
		Store: s, Chain: chain, Genesis: sdk.Hash(chain.blocks[0].BlockHash()),
		ReorgLimit: 100, PollInterval: time.Millisecond, HistogramRefresh: time.Nanosecond,
		BatchBlocks: 3, FetchBlocks: 4, Logger: discardLogger(),
	}
	if mod != nil {
		mod(&opts)
	}
	ix, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// settle runs processor steps until the index is at the daemon's tip and a
// mempool round completed; it fails the test after many steps.
func settle(t testing.TB, ix *Index) {
	t.Helper()
	for i := 0; i < 200; i++ {
		wait, err := ix.step(context.Background())
		if err != nil {
			t.Fatalf("step: %v", err)
		}
		if wait {
			tip, _ := ix.chain.Tip(context.Background())
			if h, hash, _ := ix.Tip(); (h == tip.Height && hash == tip.Hash) || ix.Status().Halted {
				return
			}
		}
	}
	t.Fatalf("index did not settle: %+v", ix.Status())
}

// dumpStore lists every key/value of s in order, hex encoded.
func dumpStore(t testing.TB, s store.Store) []string {
	t.Helper()
	var out []string
	err := s.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool {
			out = append(out, fmt.Sprintf("%x=%x", k, v))
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hx(script []byte) HashX { return HashXFromScript(script) }

func txh(tx *wire.MsgTx) sdk.Hash { return sdk.Hash(tx.TxHash()) }

func sortedHashes(hs ...sdk.Hash) []sdk.Hash {
	sort.Slice(hs, func(i, j int) bool { return displayLess(&hs[i], &hs[j]) })
	return hs
}
