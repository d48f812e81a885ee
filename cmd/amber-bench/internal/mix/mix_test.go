package mix

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
)

func testScripts() []targets.Script {
	var out []targets.Script
	for i := range 10 {
		s := targets.Script{ScriptHash: strings.Repeat(string(rune('a'+i)), 64), History: i}
		for j := range i {
			s.Sample = append(s.Sample, targets.Entry{TxHash: strings.Repeat("1", 64), Height: int64(j)}) // height 0: mempool
		}
		out = append(out, s)
	}
	return out
}

func TestWalletSequence(t *testing.T) {
	cfg := Config{Scripts: testScripts(), Height: 50, PerWallet: 3, Samples: 2}
	w := NewWallet(cfg, rand.New(rand.NewPCG(1, 1)))
	if r := w.Next(); r.Method != Version || !slices.Equal(r.Params, []any{clientString, Protocol}) {
		t.Fatalf("first request %+v", r)
	}
	if r := w.Next(); r.Method != HeadersSub {
		t.Fatalf("second request %+v", r)
	}
	counts := map[string]int{}
	owned := map[string]bool{}
	for range 3000 {
		r := w.Next()
		counts[r.Method]++
		switch r.Method {
		case Version, HeadersSub:
			t.Fatalf("%s repeated without Restart", r.Method)
		case BlockHeader:
			if h := r.Params[0].(int64); h < 0 || h > 50 {
				t.Fatalf("block.header height %d out of [0,50]", h)
			}
		case Merkle:
			if r.Entry.Height <= 0 {
				t.Fatalf("get_merkle for a mempool entry %+v", r.Entry)
			}
		case Subscribe, History, ListUnspent, Balance:
			owned[r.Params[0].(string)] = true
			if r.Script.ScriptHash != r.Params[0] {
				t.Fatalf("request %+v targets another script", r)
			}
		}
	}
	if len(owned) != 3 {
		t.Fatalf("wallet used %d script hashes, want its 3", len(owned))
	}
	cycles := w.Cycles()
	for _, m := range []string{Subscribe, History, ListUnspent, Balance} {
		if counts[m] < 3*(cycles-1) || counts[m] > 3*cycles {
			t.Errorf("%s sent %d times in %d cycles, want 3 per cycle", m, counts[m], cycles)
		}
	}
	for _, m := range []string{BlockHeader, EstimateFee, Ping} {
		if counts[m] < cycles-1 || counts[m] > cycles {
			t.Errorf("%s sent %d times in %d cycles, want 1 per cycle", m, counts[m], cycles)
		}
	}
	w.Restart()
	if r := w.Next(); r.Method != Version {
		t.Fatalf("after Restart: %s, want %s", r.Method, Version)
	}
}

func TestWalletDeterministic(t *testing.T) {
	cfg := Config{Scripts: testScripts(), Height: 100}
	seq := func(seed uint64) []string {
		w := NewWallet(cfg, rand.New(rand.NewPCG(seed, 7)))
		var out []string
		for range 200 {
			r := w.Next()
			b, _ := json.Marshal(r.Params)
			out = append(out, r.Method+string(b))
		}
		return out
	}
	if !slices.Equal(seq(3), seq(3)) {
		t.Fatal("same seed, different sequences")
	}
	if slices.Equal(seq(3), seq(4)) {
		t.Fatal("different seeds, same sequence")
	}
}

func witnessTx(t *testing.T) (*wire.MsgTx, []byte) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{1}, Index: 3}, Witness: wire.TxWitness{{1, 2, 3}, bytes.Repeat([]byte{9}, 33)}, Sequence: 0xfffffffd})
	tx.AddTxOut(wire.NewTxOut(12345, bytes.Repeat([]byte{0x51}, 22)))
	tx.AddTxOut(wire.NewTxOut(999, []byte{0x6a}))
	tx.LockTime = 77
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return tx, buf.Bytes()
}

func TestCheck(t *testing.T) {
	tx, raw := witnessTx(t)
	id := tx.TxHash().String()
	var legacy bytes.Buffer
	if err := tx.SerializeNoWitness(&legacy); err != nil {
		t.Fatal(err)
	}
	s := &targets.Script{ScriptHash: strings.Repeat("a", 64), History: 2, UTXOs: 1, Confirmed: 10, Unconfirmed: -3}
	e := &targets.Entry{TxHash: id, Height: 5}
	q := func(m string) Request { return Request{Method: m, Script: s, Entry: e} }
	tests := []struct {
		req    Request
		result string
		ok     bool
	}{
		{q(History), `[{"tx_hash":"x","height":1},{"tx_hash":"y","height":0}]`, true},
		{q(History), `[{"tx_hash":"x","height":1}]`, false},
		{q(History), `{}`, false},
		{q(ListUnspent), `[{"tx_hash":"x"}]`, true},
		{q(ListUnspent), `[]`, false},
		{q(Balance), `{"confirmed":10,"unconfirmed":-3}`, true},
		{q(Balance), `{"confirmed":10,"unconfirmed":0}`, false},
		{q(TxGet), `"` + hex.EncodeToString(raw) + `"`, true},
		{q(TxGet), `"` + hex.EncodeToString(legacy.Bytes()) + `"`, true},
		{q(TxGet), `"` + hex.EncodeToString(raw[:len(raw)-1]) + `"`, false},
		{q(TxGet), `"zz"`, false},
		{q(Merkle), `{"block_height":5,"merkle":[],"pos":0}`, true},
		{q(Merkle), `{"block_height":6,"merkle":[],"pos":0}`, false},
		{q(BlockHeader), `"` + strings.Repeat("00", 80) + `"`, true},
		{q(BlockHeader), `"00"`, false},
		{q(Ping), `null`, true},
		{q(Subscribe), `"anything"`, true},
	}
	for _, tt := range tests {
		err := Check(tt.req, json.RawMessage(tt.result))
		if (err == nil) != tt.ok {
			t.Errorf("Check(%s, %.60s) = %v, want ok=%v", tt.req.Method, tt.result, err, tt.ok)
		}
	}
}

func FuzzStripWitness(f *testing.F) {
	tx, raw := witnessTx(&testing.T{})
	_ = tx
	f.Add(raw)
	f.Add([]byte{1, 0, 0, 0, 0, 1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		out := stripWitness(b)
		if len(out) > len(b) {
			t.Fatalf("stripped %d bytes into %d", len(b), len(out))
		}
	})
}
