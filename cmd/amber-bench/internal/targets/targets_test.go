package targets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// fakeChain is an in-memory Source.
type fakeChain struct {
	blocks  []*wire.MsgBlock
	mempool []*wire.MsgTx
}

func (f *fakeChain) GetBlockCount(context.Context) (int64, error) {
	return int64(len(f.blocks) - 1), nil
}
func (f *fakeChain) GetBlockHashes(_ context.Context, start, end int64) ([]sdk.Hash, error) {
	var out []sdk.Hash
	for h := start; h <= end; h++ {
		out = append(out, sdk.Hash(f.blocks[h].BlockHash()))
	}
	return out, nil
}
func (f *fakeChain) GetBlocks(_ context.Context, hashes []sdk.Hash) ([]*wire.MsgBlock, error) {
	var out []*wire.MsgBlock
	for _, h := range hashes {
		for _, b := range f.blocks {
			if sdk.Hash(b.BlockHash()) == h {
				out = append(out, b)
			}
		}
	}
	return out, nil
}
func (f *fakeChain) RawMempool(context.Context) ([]sdk.Hash, error) {
	var out []sdk.Hash
	for i := len(f.mempool) - 1; i >= 0; i-- { // child first: order must not matter
		out = append(out, sdk.Hash(f.mempool[i].TxHash()))
	}
	return out, nil
}
func (f *fakeChain) GetRawTransaction(_ context.Context, id sdk.Hash) (*wire.MsgTx, error) {
	for _, tx := range f.mempool {
		if sdk.Hash(tx.TxHash()) == id {
			return tx, nil
		}
	}
	return nil, errors.New("unknown tx")
}

func tx(ins []wire.OutPoint, outs ...*wire.TxOut) *wire.MsgTx {
	t := wire.NewMsgTx(2)
	for _, in := range ins {
		t.AddTxIn(wire.NewTxIn(&in, nil, nil))
	}
	for _, o := range outs {
		t.AddTxOut(o)
	}
	return t
}

func coinbase(height byte, outs ...*wire.TxOut) *wire.MsgTx {
	t := tx([]wire.OutPoint{{Index: 0xffffffff}}, outs...)
	t.TxIn[0].SignatureScript = []byte{height, 0x51}
	return t
}

func block(prev *wire.MsgBlock, txs ...*wire.MsgTx) *wire.MsgBlock {
	b := &wire.MsgBlock{Transactions: txs}
	if prev != nil {
		b.Header.PrevBlock = prev.BlockHash()
	}
	b.Header.MerkleRoot = chainhash.Hash{byte(len(txs))}
	return b
}

func op(t *wire.MsgTx, i uint32) wire.OutPoint { return wire.OutPoint{Hash: t.TxHash(), Index: i} }

func TestBuild(t *testing.T) {
	A, B, C, other := []byte{0x51, 1}, []byte{0x51, 2}, []byte{0x51, 3}, []byte{0x51, 9}
	cb0 := coinbase(0, wire.NewTxOut(5000, A))
	cb1 := coinbase(1, wire.NewTxOut(100, other))
	t1 := tx([]wire.OutPoint{op(cb0, 0)}, wire.NewTxOut(3000, B), wire.NewTxOut(1900, A))
	t2 := tx([]wire.OutPoint{op(t1, 0)}, wire.NewTxOut(1000, B), wire.NewTxOut(1500, C)) // same block spend
	b0 := block(nil, cb0)
	b1 := block(b0, cb1, t1, t2)
	m1 := tx([]wire.OutPoint{op(t1, 1)}, wire.NewTxOut(1800, C))                                       // spends A's confirmed output
	m2 := tx([]wire.OutPoint{op(m1, 0), op(t2, 0)}, wire.NewTxOut(700, A), wire.NewTxOut(2000, other)) // unconfirmed parent
	src := &fakeChain{blocks: []*wire.MsgBlock{b0, b1}, mempool: []*wire.MsgTx{m1, m2}}

	var calls int
	f, err := Build(context.Background(), src, []Watch{{PkScript: A}, {PkScript: B}, {PkScript: C}}, func(done, total int64) {
		calls++
		if done != 2 || total != 2 {
			t.Errorf("progress %d/%d", done, total)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || f.Height != 1 || f.Tip != sdk.Hash(b1.BlockHash()).String() {
		t.Fatalf("height %d tip %s progress calls %d", f.Height, f.Tip, calls)
	}
	tests := []struct {
		name                    string
		history, mempool, utxos int
		confirmed, unconfirmed  int64
		heights                 []int64
	}{
		// A: cb0 (h0), t1 (h1 change), m1 spends the change (0), m2 pays A (-1)
		// (RawMempool lists m2 before m1 here: the order is the daemon's)
		{"A", 4, 2, 1, 1900, 700 - 1900, []int64{0, 1, -1, 0}},
		// B: t1, t2 (same block); m2 spends t2's B output
		{"B", 3, 1, 0, 1000, -1000, []int64{1, 1, -1}},
		// C: t2, m1 pays it, m2 spends that at once
		{"C", 3, 2, 1, 1500, 0, []int64{1, -1, 0}},
	}
	for i, tt := range tests {
		s := f.Scripts[i]
		if s.History != tt.history || s.Mempool != tt.mempool || s.UTXOs != tt.utxos || s.Confirmed != tt.confirmed || s.Unconfirmed != tt.unconfirmed {
			t.Errorf("%s: got %+v, want %+v", tt.name, s, tt)
		}
		var hs []int64
		for _, e := range s.Sample {
			hs = append(hs, e.Height)
		}
		if len(hs) != len(tt.heights) {
			t.Errorf("%s: sample heights %v, want %v", tt.name, hs, tt.heights)
			continue
		}
		for k := range hs {
			if hs[k] != tt.heights[k] {
				t.Errorf("%s: sample heights %v, want %v", tt.name, hs, tt.heights)
				break
			}
		}
	}

	// Round trip through a file.
	path := filepath.Join(t.TempDir(), "chain.json")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Largest().ScriptHash != f.Scripts[0].ScriptHash || len(g.Scripts) != 3 || g.Scripts[2].UTXOs != 1 {
		t.Fatalf("round trip lost data: %+v", g)
	}
}

func TestSpread(t *testing.T) {
	var h []Entry
	for i := range 100 {
		h = append(h, Entry{Height: int64(i)})
	}
	got := spread(h, 8)
	if len(got) != 8 || got[0].Height != 0 || got[7].Height != 99 {
		t.Fatalf("spread = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Height <= got[i-1].Height {
			t.Fatalf("spread not increasing: %v", got)
		}
	}
	if got := spread(h[:3], 8); len(got) != 3 {
		t.Fatalf("short history spread to %d", len(got))
	}
}

func TestParse(t *testing.T) {
	sh := strings.Repeat("ab", 32)
	tests := []struct {
		in string
		ok bool
	}{
		{`{"version":1,"scripts":[{"scripthash":"` + sh + `","history":2,"mempool":1}]}`, true},
		{`{"version":2,"scripts":[{"scripthash":"` + sh + `"}]}`, false},
		{`{"version":1,"scripts":[]}`, false},
		{`{"version":1,"scripts":[{"scripthash":"ab"}]}`, false},
		{`{"version":1,"scripts":[{"scripthash":"` + sh + `","history":1,"mempool":2}]}`, false},
		{`nope`, false},
	}
	for _, tt := range tests {
		if _, err := Parse([]byte(tt.in)); (err == nil) != tt.ok {
			t.Errorf("Parse(%s) err = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if got := ScriptHash([]byte{0x51}); got != "8aeeeb2bcb0dc1b9b1a90db4acefc6aee3c0d3c73eaf92c5ae5a0ff2a6a92ba0" && len(got) != 64 {
		t.Fatalf("ScriptHash = %s", got)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"scripts":[{"scripthash":"` + strings.Repeat("0", 64) + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(data)
		if err == nil && (len(fl.Scripts) == 0 || fl.Largest() == nil) {
			t.Fatal("accepted a file without scripts")
		}
	})
}
