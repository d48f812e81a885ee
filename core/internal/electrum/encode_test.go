package electrum

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// reflectHistory is what encoding/json gives for a get_history result.
func reflectHistory(conf []index.Confirmed, mem []index.MempoolEntry) string {
	out := make([]any, 0, len(conf)+len(mem))
	for _, e := range conf {
		out = append(out, confirmedItem{e.TxHash.String(), e.Height})
	}
	for _, e := range mem {
		out = append(out, mempoolItem{e.TxHash.String(), e.Height, e.Fee})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func reflectUTXOs(utxos []index.UTXO) string {
	out := make([]utxoItem, len(utxos))
	for i, u := range utxos {
		out[i] = utxoItem{u.TxHash.String(), u.TxPos, u.Height, u.Value}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestEncodersMatchEncodingJSON(t *testing.T) {
	conf := []index.Confirmed{{TxHash: rep(0xaa), Height: 1}, {TxHash: dsha([]byte{1}), Height: 840_000}}
	mem := []index.MempoolEntry{{TxHash: rep(0x0d), Height: 0, Fee: 0}, {TxHash: rep(0xf0), Height: -1, Fee: 1 << 40}}
	utxos := []index.UTXO{{TxHash: rep(0x01), TxPos: 0, Height: 0, Value: 0}, {TxHash: rep(0xfe), TxPos: 1<<32 - 1, Height: 7, Value: 21e14}}
	tests := []struct {
		name      string
		got, want string
	}{
		{"empty history", string(encodeHistory(nil, nil)), reflectHistory(nil, nil)},
		{"confirmed only", string(encodeHistory(conf, nil)), reflectHistory(conf, nil)},
		{"mempool only", string(encodeHistory(nil, mem)), reflectHistory(nil, mem)},
		{"both", string(encodeHistory(conf, mem)), reflectHistory(conf, mem)},
		{"no utxos", string(encodeUTXOs(nil)), reflectUTXOs([]index.UTXO{})},
		{"utxos", string(encodeUTXOs(utxos)), reflectUTXOs(utxos)},
		{"hash hex", string(appendHashHex(nil, conf[1].TxHash)), conf[1].TxHash.String()},
		{"balance", string(encodeBalance(-5, 21e14)), `{"confirmed":-5,"unconfirmed":2100000000000000}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
			}
		})
	}
}

// FuzzEncodeHistory compares the hand-written encoders with encoding/json
// on arbitrary entries.
func FuzzEncodeHistory(f *testing.F) {
	f.Add([]byte("seed bytes for one entry of each kind........................"), int64(5), int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, height, fee int64) {
		var conf []index.Confirmed
		var mem []index.MempoolEntry
		var utxos []index.UTXO
		for len(data) >= 36 {
			var h sdk.Hash
			copy(h[:], data)
			n := binary.LittleEndian.Uint32(data[32:])
			conf = append(conf, index.Confirmed{TxHash: h, Height: height + int64(n)})
			mem = append(mem, index.MempoolEntry{TxHash: h, Height: -int64(n % 2), Fee: fee ^ int64(n)})
			utxos = append(utxos, index.UTXO{TxHash: h, TxPos: n, Height: height, Value: fee})
			data = data[36:]
		}
		if got, want := string(encodeHistory(conf, mem)), reflectHistory(conf, mem); got != want {
			t.Fatalf("history\n got %s\nwant %s", got, want)
		}
		if got, want := string(encodeUTXOs(utxos)), reflectUTXOs(utxos); len(utxos) > 0 && got != want {
			t.Fatalf("utxos\n got %s\nwant %s", got, want)
		}
	})
}

// TestCachedStatusDigest: the status computed from the cached digest of
// the confirmed part equals Status over the whole history, cold and warm,
// with and without a mempool part.
func TestCachedStatusDigest(t *testing.T) {
	conf := []index.Confirmed{{TxHash: rep(0xaa), Height: 100}, {TxHash: rep(0xbb), Height: 105}}
	mem := []index.MempoolEntry{{TxHash: rep(0xcc), Height: 0}, {TxHash: rep(0x0d), Height: -1}}
	tests := []struct {
		name string
		conf []index.Confirmed
		mem  []index.MempoolEntry
	}{
		{"empty", nil, nil},
		{"confirmed only", conf, nil},
		{"mempool only", nil, mem},
		{"both", conf, mem},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, ix, _ := newFixture(t)
			ix.setHistory(hxA, tc.conf, tc.mem)
			want := Status(tc.conf, tc.mem)
			for _, pass := range []string{"cold", "warm", "warm again"} {
				s := &fakeSess{}
				got, mempool, err := srv.status(t.Context(), s, hxA)
				if err != nil {
					t.Fatal(err)
				}
				if !sameStatus(got, want) || mempool != (len(tc.mem) > 0) {
					t.Errorf("%s: status %v mempool %v, want %v %v", pass, deref(got), mempool, deref(want), len(tc.mem) > 0)
				}
				if wantCost := 0.1 + 0.00002*float64(len(statusString(tc.conf, tc.mem))); pass != "cold" && !near(s.takeCost(), 0.1+wantCost) {
					t.Errorf("%s: cost differs from the pre-image's", pass)
				}
				// get_history from the cached encoding (mem is in canonical order).
				if got, want := mustDo(t, srv, "blockchain.scripthash.get_history", `[`+q(shA)+`]`), reflectHistory(tc.conf, tc.mem); got != want {
					t.Errorf("%s: get_history\n got %s\nwant %s", pass, got, want)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestUTXOAndBalanceCache: listunspent and get_balance answers are reused
// until an event touches their hashX or a reorg.
func TestUTXOAndBalanceCache(t *testing.T) {
	before := []index.UTXO{{TxHash: rep(0xaa), TxPos: 1, Height: 1, Value: 5000}}
	after := []index.UTXO{{TxHash: rep(0xaa), TxPos: 1, Height: 1, Value: 5000}, {TxHash: rep(0xab), TxPos: 0, Height: 3, Value: 7}}
	tests := []struct {
		name  string
		event func(ix *fakeIndex) index.Event
		fresh bool // the answer after the event reflects the change
	}{
		{"no event", nil, false},
		{"another hashX touched", func(ix *fakeIndex) index.Event { return touchEvent(ix, hxBig) }, false},
		{"hashX touched", func(ix *fakeIndex) index.Event { return touchEvent(ix, hxA) }, true},
		{"reorg", reorgEvent, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, ix, _ := newFixture(t)
			ix.mu.Lock()
			ix.utxos[hxA] = before
			ix.mu.Unlock()
			s := &fakeSess{}
			lu := func() string { r, _ := do(t, srv, s, "blockchain.scripthash.listunspent", `[`+q(shA)+`]`); return r }
			bal := func() string { r, _ := do(t, srv, s, "blockchain.scripthash.get_balance", `[`+q(shA)+`]`); return r }
			lu0, bal0 := lu(), bal()
			ix.mu.Lock()
			ix.utxos[hxA] = after
			ix.mu.Unlock()
			if tc.event != nil {
				srv.HandleEvent(tc.event(ix))
			}
			wantLU, wantBal := lu0, bal0
			if tc.fresh {
				wantLU, wantBal = reflectUTXOs(after), `{"confirmed":5007,"unconfirmed":-1234}`
			}
			if got := lu(); got != wantLU {
				t.Errorf("listunspent %s, want %s", got, wantLU)
			}
			if got := bal(); got != wantBal {
				t.Errorf("get_balance %s, want %s", got, wantBal)
			}
		})
	}
}

// TestSmallBlockTreeCached: a small block's merkle tree is cached, its
// branch unchanged and its cost still the uncached one.
func TestSmallBlockTreeCached(t *testing.T) {
	srv, _, _ := newFixture(t)
	s := &fakeSess{}
	params := `[` + q(rep(0x22).String()) + `, 1]`
	first, jerr := do(t, srv, s, "blockchain.transaction.get_merkle", params)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if n := srv.blocks.trees.Len(); n != 1 {
		t.Fatalf("%d cached trees after get_merkle in a 3-tx block, want 1", n)
	}
	// Cold tree, warm txid list; then both warm.
	srv.blocks.trees.Purge()
	s.takeCost()
	do(t, srv, s, "blockchain.transaction.get_merkle", params)
	cost1 := s.takeCost()
	second, _ := do(t, srv, s, "blockchain.transaction.get_merkle", params)
	if second != first {
		t.Errorf("warm branch %s, cold %s", second, first)
	}
	if cost2 := s.takeCost(); cost2 != cost1 {
		t.Errorf("warm cost %v, cold %v: small blocks keep the uncached cost", cost2, cost1)
	}
}

func mustDo(t *testing.T, srv *Server, method, params string) string {
	t.Helper()
	res, jerr := do(t, srv, &fakeSess{}, method, params)
	if jerr != nil {
		t.Fatalf("%s: %v", method, jerr)
	}
	return res
}
