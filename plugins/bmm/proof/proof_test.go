package proof

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/follow"
	"github.com/amber-electrum/amber/plugins/bmm/internal/testchain"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const sc = 5

// fakeSide is a sidechain of blocks with a few transactions each.
type fakeSide struct {
	blocks []*wire.MsgBlock
}

func newFakeSide(n, txs int) *fakeSide {
	s := &fakeSide{}
	prev := chainhash.Hash{}
	for h := 0; h < n; h++ {
		var list []*wire.MsgTx
		for i := 0; i < txs; i++ {
			tx := wire.NewMsgTx(2)
			tx.LockTime = uint32(h*1000 + i)
			tx.AddTxOut(wire.NewTxOut(int64(i), []byte{0x51}))
			list = append(list, tx)
		}
		b := testchain.NewBlock(prev, testchain.RegtestBits, time.Unix(1700000000+int64(h), 0), list...)
		s.blocks = append(s.blocks, b)
		prev = b.BlockHash()
	}
	return s
}

func (s *fakeSide) hash(h int64) sdk.Hash { return sdk.Hash(s.blocks[h].BlockHash()) }
func (s *fakeSide) txid(h int64, i int) sdk.Hash {
	return sdk.Hash(s.blocks[h].Transactions[i].TxHash())
}

func (s *fakeSide) Header(_ context.Context, height int64) ([]byte, error) {
	if height >= int64(len(s.blocks)) {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "db error: block %d not on disk", height)
	}
	var buf bytes.Buffer
	err := s.blocks[height].Header.Serialize(&buf)
	return buf.Bytes(), err
}

func (s *fakeSide) TxMerkle(_ context.Context, txid sdk.Hash, height int64) ([]string, int, error) {
	var ids []sdk.Hash
	for _, tx := range s.blocks[height].Transactions {
		ids = append(ids, sdk.Hash(tx.TxHash()))
	}
	for i, id := range ids {
		if id == txid {
			br, _ := merkle.Branch(ids, i)
			return merkle.Display(br), i, nil
		}
	}
	return nil, 0, sdk.Errorf(sdk.KindNotFound, "tx %s is not in the block at height %d", txid, height)
}

type env struct {
	side *fakeSide
	main *testchain.Fake
	st   *store.Store
	fol  *follow.Follower
	b    *Builder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(":memory:", store.Meta{Sidechain: sc, StartHeight: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{side: newFakeSide(6, 5), main: testchain.NewFake(), st: st}
	e.fol = follow.New(e.main, st, follow.Options{Sidechain: sc, StartHeight: 1})
	e.b = &Builder{Side: e.side, Main: e.main, Index: st, Sidechain: sc}
	return e
}

func (e *env) accept(h int64) bip301.Accept {
	return bip301.Accept{Sidechain: sc, HStar: [32]byte(e.side.hash(h))}
}

func (e *env) sync(t *testing.T) {
	t.Helper()
	if _, err := e.fol.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) build(h int64, i int) (*Result, error) {
	return e.b.Build(context.Background(), Params{TxHash: e.side.txid(h, i), Height: h})
}

func TestBuildAndVerify(t *testing.T) {
	e := newEnv(t)
	e.main.Mine()
	e.main.Mine(bip301.Accept{Sidechain: sc + 1, HStar: e.accept(2).HStar}, e.accept(1)) // 2
	e.main.MineLayout(bip301.Pushed, e.accept(2))                                        // 3
	e.sync(t)
	ctx := context.Background()
	for _, tc := range []struct {
		height     int64
		mainHeight int64
	}{{1, 2}, {2, 3}} {
		mainHash, _ := e.main.BlockHash(ctx, tc.mainHeight)
		for i := 0; i < 5; i++ {
			r, err := e.build(tc.height, i)
			if err != nil {
				t.Fatalf("height %d tx %d: %v", tc.height, i, err)
			}
			hdr, _ := e.side.Header(ctx, tc.height)
			if err := Verify(r, e.side.txid(tc.height, i), hdr, sc); err != nil {
				t.Fatalf("height %d tx %d: %v", tc.height, i, err)
			}
			if r.Pos != i || r.BlockHeight != tc.height || r.BMM.MainHeight != tc.mainHeight ||
				r.BMM.MainBlockHash != mainHash.String() || r.BMM.CriticalHash != e.side.hash(tc.height).String() {
				t.Fatalf("height %d tx %d: %+v", tc.height, i, r)
			}
			if len(r.BMM.CoinbaseMerkle) != 1 || len(r.Merkle) != 3 {
				t.Fatalf("branch lengths %d, %d", len(r.BMM.CoinbaseMerkle), len(r.Merkle))
			}
		}
	}
}

func TestGolden(t *testing.T) {
	e := newEnv(t)
	e.main.Mine(e.accept(3))
	e.sync(t)
	r, err := e.build(3, 4)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(r, "", "  ")
	path := filepath.Join("testdata", "result.golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Fatalf("result differs from %s:\n%s", path, got)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	e.main.Mine(e.accept(1))
	e.sync(t)

	// Transaction not in the block: get_merkle's error.
	other := e.side.txid(2, 0)
	_, err := e.b.Build(context.Background(), Params{TxHash: other, Sent: strings.ToUpper(other.String()), Height: 1})
	if sdk.KindOf(err) != sdk.KindInvalidArgument || err.Error() != "tx "+strings.ToUpper(other.String())+" not in block at height 1" {
		t.Fatalf("tx not in block: %v", err)
	}

	// No accept for block 2.
	_, err = e.build(2, 0)
	h2 := e.side.hash(2).String()
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), "height 2") || !strings.Contains(err.Error(), h2) {
		t.Fatalf("no accept: %v", err)
	}

	// Sidechain height beyond the tip: the Sidechain's error goes through.
	if _, err := e.b.Build(context.Background(), Params{TxHash: other, Height: 99}); !strings.Contains(err.Error(), "not on disk") {
		t.Fatalf("beyond tip: %v", err)
	}

	// Mainchain unreachable, or erroring.
	e.main.Fail = sdk.Errorf(sdk.KindUnavailable, "connection refused")
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("mainchain down: %v", err)
	}
	e.main.Fail = sdk.DaemonError(-1, "boom")
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindDaemon {
		t.Fatalf("mainchain error: %v", err)
	}
	e.main.Fail = sdk.Errorf(sdk.KindInternal, "garbled reply")
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("mainchain garbage: %v", err)
	}
	e.main.Fail = nil

	// The commitment is reorganised away: refused before the follower
	// catches up, and after.
	e.main.Rewind(0)
	e.main.Mine()
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Fatalf("stale index entry: %v", err)
	}
	e.main.Rewind(0) // shorter than the indexed block
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Fatalf("indexed block above the tip: %v", err)
	}
	e.main.Mine()
	e.main.Mine(e.accept(1))
	e.sync(t)
	r, err := e.build(1, 0)
	if err != nil || r.BMM.MainHeight != 2 {
		t.Fatalf("recommitted: %+v %v", r, err)
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	e := newEnv(t)
	e.main.Mine(e.accept(1))
	e.sync(t)
	ctx := context.Background()
	hdr, _ := e.side.Header(ctx, 1)
	txid := e.side.txid(1, 2)
	flip := func(s string) string { // change the first hex digit
		b := []byte(s)
		if b[0] == '0' {
			b[0] = '1'
		} else {
			b[0] = '0'
		}
		return string(b)
	}
	tests := []struct {
		name   string
		mutate func(r *Result)
	}{
		{"pos", func(r *Result) { r.Pos ^= 1 }},
		{"merkle", func(r *Result) { r.Merkle[0] = flip(r.Merkle[0]) }},
		{"critical_hash", func(r *Result) { r.BMM.CriticalHash = flip(r.BMM.CriticalHash) }},
		{"sidechain_number", func(r *Result) { r.BMM.SidechainNumber++ }},
		{"coinbase", func(r *Result) { r.BMM.Coinbase = r.BMM.Coinbase[:len(r.BMM.Coinbase)-2] + "01" }},
		{"coinbase_merkle", func(r *Result) { r.BMM.CoinbaseMerkle[0] = flip(r.BMM.CoinbaseMerkle[0]) }},
		{"main_header", func(r *Result) { r.BMM.MainHeader = flip(r.BMM.MainHeader) }},
		{"main_block_hash", func(r *Result) { r.BMM.MainBlockHash = flip(r.BMM.MainBlockHash) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.build(1, 2)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(r, txid, hdr, sc); err != nil {
				t.Fatalf("untouched result: %v", err)
			}
			tc.mutate(r)
			if err := Verify(r, txid, hdr, sc); err == nil {
				t.Fatal("tampered result verifies")
			}
		})
	}
	// A coinbase accepting another h* does not verify either.
	r, _ := e.build(1, 2)
	cb := testchain.Coinbase(1, 1, 1, bip301.Raw, e.accept(2))
	var buf bytes.Buffer
	cb.SerializeNoWitness(&buf)
	r.BMM.Coinbase = hex.EncodeToString(buf.Bytes())
	if err := Verify(r, txid, hdr, sc); err == nil || !strings.Contains(err.Error(), "no BMM Accept") {
		t.Fatalf("foreign coinbase: %v", err)
	}
}

func TestParseParams(t *testing.T) {
	txid := strings.Repeat("ab", 31) + "01"
	tests := []struct {
		params string
		height int64
		err    string
	}{
		{`["` + txid + `", 5]`, 5, ""},
		{`["` + txid + `", "12"]`, 12, ""},
		{`["` + txid + `", " 7 "]`, 7, ""},
		{`["` + txid + `", -1]`, 0, "-1 should be a non-negative integer"},
		{`["` + txid + `", 1.5]`, 0, "1.5 should be a non-negative integer"},
		{`["` + txid + `", null]`, 0, "None should be a non-negative integer"},
		{`["` + txid + `", true]`, 0, "True should be a non-negative integer"},
		{`["xyz", 1]`, 0, "xyz should be a transaction hash"},
		{`["` + txid[:62] + `zz", 1]`, 0, txid[:62] + "zz should be a transaction hash"},
		{`[12, 1]`, 0, "12 should be a transaction hash"},
		{`["` + txid + `"]`, 0, "bmm_merkle takes 2 parameters: tx_hash, height"},
	}
	for _, tc := range tests {
		p, err := ParseParams(json.RawMessage(tc.params))
		if tc.err != "" {
			if sdk.KindOf(err) != sdk.KindInvalidArgument || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %q", tc.params, err, tc.err)
			}
			continue
		}
		if err != nil || p.Height != tc.height || p.TxHash.String() != txid || p.Sent != txid {
			t.Errorf("%s: %+v %v", tc.params, p, err)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %s, want %s", n, got, want)
		}
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add(`["` + strings.Repeat("0", 64) + `", 5]`)
	f.Add(`["x", "7"]`)
	f.Add(`[null, null]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, params string) {
		p, err := ParseParams(json.RawMessage(params))
		if err != nil {
			if sdk.KindOf(err) != sdk.KindInvalidArgument {
				t.Fatalf("error of kind %v: %v", sdk.KindOf(err), err)
			}
			return
		}
		if p.Height < 0 || !strings.EqualFold(p.TxHash.String(), p.Sent) {
			t.Fatalf("accepted %s as %+v", params, p)
		}
	})
}
