package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// encodeV1 is the version-1 encoding, as amberd wrote it before version 2
// (the golden files under testdata were written by that code).
func (u *undoRecord) encodeV1() []byte {
	b := []byte{undoV1}
	b = binary.BigEndian.AppendUint64(b, u.txCountBefore)
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.hist)))
	for _, h := range u.hist {
		b = append5(append(b, h.hx[:]...), h.txnum)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.created)))
	for _, o := range u.created {
		b = binary.BigEndian.AppendUint32(append(b, o.txid[:]...), o.vout)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.spent)))
	for _, s := range u.spent {
		b = binary.BigEndian.AppendUint32(append(b, s.op.txid[:]...), s.op.vout)
		b = s.outVal.appendTo(b)
	}
	return b
}

// reencode encodes a decoded record in its own version.
func (u *undoRecord) reencode() []byte {
	if u.version == undoV1 {
		return u.encodeV1()
	}
	return u.encode()
}

func goldenV1Record(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/undo_v1_record.golden")
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func v2Sample() *undoRecord {
	return &undoRecord{
		txCountBefore: 1 << 33, nHist: 7,
		txs: []txCounts{{0, 2}, {2, 300}, {1, 1}},
		spent: []spentOut{
			{outpoint{vout: 2}, outVal{hx: HashX{5}, txnum: 9, value: 21e14}},
			{outpoint{vout: 1 << 31}, outVal{hx: HashX{6}, txnum: 1<<33 + 1, value: 0}},
			{outpoint{vout: 0}, outVal{hx: HashX{7}, txnum: 0, value: -1}},
		},
	}
}

func FuzzDecodeUndo(f *testing.F) {
	f.Add(goldenV1Record(f))
	f.Add((&undoRecord{}).encodeV1())
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add(v2Sample().encode())
	f.Add((&undoRecord{txs: []txCounts{{0, 1}}}).encode())
	f.Add([]byte{2, 0x80, 0x00, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := decodeUndo(b)
		if err != nil {
			return
		}
		if got := u.reencode(); !bytes.Equal(got, b) {
			t.Fatalf("round trip (v%d): %x != %x", u.version, got, b)
		}
	})
}

// TestUndoV1Golden: a record written by the version-1 encoder still
// decodes to what it held.
func TestUndoV1Golden(t *testing.T) {
	b := goldenV1Record(t)
	u, err := decodeUndo(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &undoRecord{
		version:       undoV1,
		txCountBefore: 1 << 33,
		hist:          []histRef{{HashX{1, 2}, 5}, {HashX{7}, 1<<40 - 1}},
		created:       []outpoint{{sdk.Hash{3}, 1}, {sdk.Hash{4}, 0}},
		spent:         []spentOut{{outpoint{sdk.Hash{4}, 2}, outVal{HashX{5}, 9, 21e14, 800000}}},
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("golden v1 record = %+v\nwant %+v", u, want)
	}
	if !bytes.Equal(u.encodeV1(), b) {
		t.Error("encodeV1 differs from the golden bytes")
	}
}

func TestUndoV2RoundTrip(t *testing.T) {
	u := v2Sample()
	b := u.encode()
	got, err := decodeUndo(b)
	if err != nil {
		t.Fatal(err)
	}
	u.version = undoVersion
	if !reflect.DeepEqual(got, u) {
		t.Errorf("round trip = %+v\nwant %+v", got, u)
	}
	// counts, then hashX 11 + tx_num back (varint) + vout + value per
	// spent output.
	if want := 1 + 5 + 1 + 1 + (1 + 1 + 1 + 2 + 1 + 1) + (11 + 5 + 1 + 8) + (11 + 1 + 5 + 1) + (11 + 5 + 1 + 10); len(b) != want {
		t.Errorf("record of %d bytes, want %d", len(b), want)
	}
	hx := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	rec := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	bad := [][]byte{
		nil, {0}, {3}, {2},
		b[:len(b)-1], append(append([]byte(nil), b...), 0),
		{2, 0x80, 0x00, 1, 0, 0, 0},                        // non-minimal varint
		{2, 0, 0, 0},                                       // no tx
		{2, 0, 2, 0, 0, 0},                                 // counts of one tx for two
		rec([]byte{2, 0, 1, 0, 1, 0}),                      // an input without its spent output
		rec([]byte{2, 0, 1, 0, 1, 0}, hx, []byte{2, 0, 0}), // funding tx_num after the block
		rec([]byte{2, 0, 1, 0, 1, 0}, hx, []byte{0, 0, 0}), // funding tx_num back 0
		rec([]byte{2, 0, 1, 0, 1, 0}, hx, []byte{1, 0x80, 0x80, 0x80, 0x80, 0x10, 0}), // vout > 2^32-1
		{2, 0, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0},                                 // more inputs than 2^32-1
		{2, 0, 1, 0, 0xff, 0xff, 0xff, 0x1f, 0},                                       // more spent outputs than bytes
	}
	for _, x := range bad {
		if _, err := decodeUndo(x); err == nil {
			t.Errorf("decodeUndo(%x) succeeded", x)
		}
	}
	if _, err := decodeUndo(rec([]byte{2, 0, 1, 0, 1, 0}, hx, []byte{1, 0, 0})); err != nil {
		t.Errorf("minimal valid record: %v", err)
	}
}

// goldenChains are chains whose undo records the version-1 code wrote to
// testdata (ReorgLimit 100, so one record per block).
var goldenChains = []struct {
	name   string
	file   string
	blocks func() []*wire.MsgBlock
}{
	{"genChain", "testdata/undo_v1_genchain.golden", func() []*wire.MsgBlock {
		return genChain([]*wire.MsgBlock{genesisBlock()}, 12, 1, 1)
	}},
	{"syncChain", "testdata/undo_v1_syncchain.golden", func() []*wire.MsgBlock { return genSyncChain(20, 12, 30, 7) }},
}

// readV1Rows reads a golden file of dumpStore R rows: height → record.
func readV1Rows(t *testing.T, file string) map[int64][]byte {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[int64][]byte{}
	for _, line := range strings.Fields(string(raw)) {
		k, v, _ := strings.Cut(line, "=")
		h, err := strconv.ParseUint(k[2:], 16, 32)
		if err != nil || k[:2] != "52" {
			t.Fatalf("golden row %q", k)
		}
		if rows[int64(h)], err = hex.DecodeString(v); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// putUndoRows replaces the R rows of heights ≤ upTo with rows.
func putUndoRows(t *testing.T, s store.Store, rows map[int64][]byte, upTo int64) {
	t.Helper()
	err := s.Update(context.Background(), func(tx store.RWTx) error {
		for h, v := range rows {
			if h > upTo {
				continue
			}
			if _, err := tx.Get(heightKey(pUndo, h)); err != nil {
				return err
			}
			if err := tx.Set(heightKey(pUndo, h), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRevertV1Records: an index whose undo records were written by the
// version-1 code (all of them, or the older ones as after an upgrade)
// reverts blocks to the same store as a fresh sync of the new branch, on
// every engine.
func TestRevertV1Records(t *testing.T) {
	for _, g := range goldenChains {
		a := g.blocks()
		rows := readV1Rows(t, g.file)
		if len(rows) != len(a)-1 {
			t.Fatalf("%s: %d golden records for %d blocks", g.name, len(rows), len(a)-1)
		}
		tip := int64(len(a) - 1)
		b := genChain(a[:2], len(a)+1, 77, 3) // forks at height 2: every record but block 1's is read
		freshChain := &fakeChain{}
		freshChain.set(b)
		fresh := newTestIndex(t, freshChain, nil, nil)
		settle(t, fresh)
		want := dumpStore(t, fresh.st)
		for _, engine := range testEngines {
			for _, upTo := range []int64{tip, tip / 2} {
				t.Run(g.name+"/"+engine+"/v1 up to "+strconv.FormatInt(upTo, 10), func(t *testing.T) {
					chain := &fakeChain{}
					chain.set(a)
					ix := newTestIndex(t, chain, openTestStore(t, engine), nil)
					settle(t, ix)
					putUndoRows(t, ix.st, rows, upTo)
					chain.set(b)
					settle(t, ix)
					if st := ix.Status(); st.Halted || st.Reorgs != 1 {
						t.Fatalf("status after the reorg: %+v", st)
					}
					// Block 1, below the fork, keeps its v1 record.
					want := append([]string(nil), want...)
					for i, r := range want {
						if strings.HasPrefix(r, "5200000001=") {
							want[i] = "5200000001=" + hex.EncodeToString(rows[1])
						}
					}
					if got := dumpStore(t, ix.st); !reflect.DeepEqual(got, want) {
						t.Fatalf("store after reverting v1 records differs from a fresh sync:\n%s\nvs\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				})
			}
		}
	}
}

// TestPlanRevertMatchesV1: at each tip, from the top down, what a revert
// derives from the version-2 record and the store is what the version-1
// record of the same block listed: the same X rows, the spent outputs of
// older blocks with their txids and heights, and the block's outputs
// (less those spent in the block, which v1 restored and deleted again).
func TestPlanRevertMatchesV1(t *testing.T) {
	ctx := context.Background()
	for _, g := range goldenChains {
		t.Run(g.name, func(t *testing.T) {
			a := g.blocks()
			rows := readV1Rows(t, g.file)
			chain := &fakeChain{}
			chain.set(a)
			ix := newTestIndex(t, chain, nil, nil)
			settle(t, ix)
			for h := int64(len(a) - 1); h >= 1; h-- {
				v1, err := decodeUndo(rows[h])
				if err != nil {
					t.Fatal(err)
				}
				var p *revertPlan
				err = ix.st.Update(ctx, func(tx store.RWTx) error {
					raw, err := tx.Get(heightKey(pUndo, h))
					if err != nil {
						return err
					}
					u, err := decodeUndo(raw)
					if err != nil {
						return err
					}
					if u.version != undoVersion || len(raw) >= len(rows[h]) {
						t.Errorf("block %d: v%d record of %d bytes (v1: %d)", h, u.version, len(raw), len(rows[h]))
					}
					p, err = planRevert(tx, h, ix.state(), u)
					return err
				})
				if err != nil {
					t.Fatalf("block %d: %v", h, err)
				}
				comparePlan(t, h, p, v1)
				if _, err := ix.undoTo(ctx, ix.state(), h); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func comparePlan(t *testing.T, h int64, p *revertPlan, v1 *undoRecord) {
	t.Helper()
	key := func(op outpoint) string { return string(outKey(&op.txid, op.vout)) }
	sortRefs := func(r []histRef) []histRef {
		r = append([]histRef(nil), r...)
		sort.Slice(r, func(i, j int) bool {
			return string(histKey(r[i].hx, r[i].txnum)) < string(histKey(r[j].hx, r[j].txnum))
		})
		return r
	}
	if got, want := sortRefs(p.hist), sortRefs(v1.hist); !reflect.DeepEqual(got, want) {
		t.Errorf("block %d: history rows %v, v1 %v", h, got, want)
	}
	inBlock := map[string]bool{}
	var restore []spentOut
	for _, s := range v1.spent {
		if s.txnum >= v1.txCountBefore {
			inBlock[key(s.op)] = true
		} else {
			restore = append(restore, s)
		}
	}
	if !reflect.DeepEqual(p.restore, restore) {
		t.Errorf("block %d: restores %+v, v1 %+v", h, p.restore, restore)
	}
	var want, got []string
	for _, c := range v1.created {
		if !inBlock[key(c)] {
			want = append(want, key(c))
		}
	}
	for _, d := range p.drop {
		got = append(got, key(d.op))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("block %d: %d outputs dropped, v1 lists %d", h, len(got), len(want))
	}
	hxs := map[HashX]bool{}
	for _, r := range v1.hist {
		hxs[r.hx] = true
	}
	for _, s := range v1.spent {
		hxs[s.hx] = true
	}
	if len(p.hxs) != len(hxs) {
		t.Errorf("block %d: touches %d hashXs, v1 %d", h, len(p.hxs), len(hxs))
	}
}

// TestRevertRefusesInconsistentRecord: a v2 record that does not fit the
// store (another tx count, another number of X rows) stops the revert
// before anything is written.
func TestRevertRefusesInconsistentRecord(t *testing.T) {
	ctx := context.Background()
	var a []*wire.MsgBlock
	for seed := int64(4); len(a) == 0 || len(a[len(a)-1].Transactions) < 2; seed++ {
		a = genChain([]*wire.MsgBlock{genesisBlock()}, 6, seed, 1) // a tip block that spends
	}
	h := int64(len(a) - 1)
	for name, mod := range map[string]func(*undoRecord){
		"tx count":     func(u *undoRecord) { u.txs = append(u.txs, txCounts{}) },
		"output count": func(u *undoRecord) { u.txs[0].out = 0 },
		"history rows": func(u *undoRecord) { u.nHist++ },
		"spent tx_num": func(u *undoRecord) { u.spent[0].txnum-- },
	} {
		chain := &fakeChain{}
		chain.set(a)
		ix := newTestIndex(t, chain, nil, nil)
		settle(t, ix)
		var u *undoRecord
		if err := ix.st.View(ctx, func(tx store.Tx) error {
			raw, err := tx.Get(heightKey(pUndo, h))
			if err == nil {
				u, err = decodeUndo(raw)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(u.spent) == 0 || u.spent[0].txnum == 0 {
			t.Fatalf("block %d spends %d outputs: the chain does not test the spent case", h, len(u.spent))
		}
		mod(u)
		putUndoRows(t, ix.st, map[int64][]byte{h: u.encode()}, h)
		before := dumpStore(t, ix.st)
		if err := ix.ForceReorg(ctx, 1); err == nil {
			t.Errorf("%s: ForceReorg succeeded", name)
		}
		if got := dumpStore(t, ix.st); !reflect.DeepEqual(got, before) {
			t.Errorf("%s: the refused revert changed the store", name)
		}
	}
}

// TestUndoV2RefusesHugeOutputCount: a record claiming more outputs than
// any block holds is refused at decode (a revert reads a row per output).
func TestUndoV2RefusesHugeOutputCount(t *testing.T) {
	b := []byte{undoVersion}
	for _, v := range []uint64{1, 1, 0, 0, math.MaxUint32} { // tx_num, txs, history rows; tx 0: inputs, outputs
		b = binary.AppendUvarint(b, v)
	}
	if _, err := decodeUndo(b); !errors.Is(err, errUndoRecord) {
		t.Fatalf("decode of %x = %v, want %v", b, err, errUndoRecord)
	}
	ok := []byte{undoVersion}
	for _, v := range []uint64{1, 1, 0, 0, 3} {
		ok = binary.AppendUvarint(ok, v)
	}
	if u, err := decodeUndo(ok); err != nil || u.txs[0].out != 3 {
		t.Fatalf("decode of %x = %+v, %v; want 3 outputs", ok, u, err)
	}
}
