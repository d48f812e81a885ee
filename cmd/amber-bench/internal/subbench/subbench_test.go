package subbench

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
)

func TestScriptHash(t *testing.T) {
	tests := []struct{ script, hash string }{
		// Electrum protocol docs: P2PKH of 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.
		{"76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", "8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161"},
		// sha256 of the empty script, reversed.
		{"", "55b852781b9995a44c939b64e441ae2724b96f99c8f4fb9a141cfc9842c4b0e3"},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.script)
		if got := ScriptHash(b); got != tt.hash {
			t.Errorf("ScriptHash(%s) = %s, want %s", tt.script, got, tt.hash)
		}
	}
}

func TestDeriveScripts(t *testing.T) {
	a, err := DeriveScripts(7, 1000, 40)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DeriveScripts(7, 1010, 5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, s := range a {
		k := regtest.DeriveKey(7, 1000+i, &chaincfg.RegressionNetParams)
		want, _ := k.PkScript(regtest.P2WPKH)
		if hex.EncodeToString(s.PkScript) != hex.EncodeToString(want) || len(s.PkScript) != 22 || s.PkScript[0] != 0 {
			t.Fatalf("script %d = %x, want P2WPKH %x", i, s.PkScript, want)
		}
		// Cross-check with the regtest package's own script hash.
		if ref := sdk.Hash(regtestScriptHash(s.PkScript)).String(); s.Hash != ref {
			t.Fatalf("hash %d = %s, want %s", i, s.Hash, ref)
		}
		if seen[s.Hash] {
			t.Fatalf("duplicate script %d", i)
		}
		seen[s.Hash] = true
	}
	for i, s := range b { // same index, same script, whatever the batch
		if s.Hash != a[10+i].Hash {
			t.Fatalf("offset 1010+%d differs from 1000+%d", i, 10+i)
		}
	}
	if _, err := DeriveScripts(1, -1, 3); err == nil {
		t.Fatal("negative offset accepted")
	}
	if AutoOffset(600, 100000) == AutoOffset(601, 100000) || AutoOffset(0, 10) < regtest.ChangeIndex {
		t.Fatal("AutoOffset must move with the tip and stay above the change key")
	}
}

func regtestScriptHash(ps []byte) sdk.Hash {
	return (&regtest.Script{PkScript: ps}).ScriptHash()
}

func TestStatus(t *testing.T) {
	if Status(nil) != nil {
		t.Fatal("empty history must have a null status")
	}
	// sha256("<txid>:5:") computed independently (Python hashlib).
	txid := strings.Repeat("ab", 32)
	got := Status([]StatusEntry{{TxID: txid, Height: 5}})
	if got == nil || *got != "175716866f4d4d0e980ac2d246bd26cf081479b4722b9d926869ddd1b1a87f17" {
		t.Fatalf("status %v", got)
	}
	if a, b := Status([]StatusEntry{{TxID: txid, Height: 0}}), Status([]StatusEntry{{TxID: txid, Height: -1}}); *a == *b {
		t.Fatal("heights 0 and -1 must give different statuses")
	}
}

func TestNoteKey(t *testing.T) {
	sh := strings.Repeat("0f", 32)
	st := strings.Repeat("1e", 32)
	tests := []struct {
		method, params string
		want           Key
		wantErr        bool
	}{
		{HeadersMethod, `[{"height":603,"hex":"00"}]`, "header 603", false},
		{HeadersMethod, `[{"hex":"00"}]`, "", true},
		{HeadersMethod, `[]`, "", true},
		{ScriptHashMethod, `["` + sh + `","` + st + `"]`, Key("scripthash " + sh + " " + st), false},
		{ScriptHashMethod, `["` + sh + `",null]`, Key("scripthash " + sh + " null"), false},
		{ScriptHashMethod, `["` + sh + `"]`, "", true},
		{ScriptHashMethod, `["abc",null]`, "", true},
		{ScriptHashMethod, `["` + sh + `","short"]`, "", true},
		{ScriptHashMethod, `{}`, "", true},
		{"server.peers.subscribe", `[]`, "", true},
	}
	for _, tt := range tests {
		k, err := NoteKey(tt.method, json.RawMessage(tt.params))
		if (err != nil) != tt.wantErr || k != tt.want {
			t.Errorf("NoteKey(%s, %s) = %q, %v; want %q (error %v)", tt.method, tt.params, k, err, tt.want, tt.wantErr)
		}
	}
	if k := ScriptKey(sh, nil); k.Kind() != "scripthash" || HeaderKey(3).Kind() != "header" {
		t.Fatal("Kind")
	}
}

func FuzzNoteKey(f *testing.F) {
	f.Add(HeadersMethod, `[{"height":1}]`)
	f.Add(ScriptHashMethod, `["`+strings.Repeat("0f", 32)+`",null]`)
	f.Fuzz(func(t *testing.T, method, params string) {
		k, err := NoteKey(method, json.RawMessage(params))
		if err == nil && k.Kind() != "header" && k.Kind() != "scripthash" {
			t.Fatalf("accepted %s %s as %q", method, params, k)
		}
	})
}

// A note of each session: index, method, params, offset from t0 (ms).
type note struct {
	sess   int
	method string
	params string
	ms     int
}

func hdr(h int) (string, string) {
	return HeadersMethod, `[{"height":` + itoa(h) + `,"hex":"00"}]`
}

func shn(sh string, status string) (string, string) {
	return ScriptHashMethod, `["` + sh + `",` + status + `]`
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestBook(t *testing.T) {
	sh0, sh1 := strings.Repeat("a0", 32), strings.Repeat("a1", 32)
	st := strings.Repeat("5e", 32)
	t0 := time.Unix(1000, 0)
	n := func(sess int, m, p string, ms int) note { return note{sess, m, p, ms} }
	expect := func(i int) []Key { // session 2 is not part of the round
		switch i {
		case 0:
			return []Key{HeaderKey(7), ScriptKey(sh0, &st)}
		case 1:
			return []Key{HeaderKey(7), ScriptKey(sh1, &st)}
		}
		return nil
	}
	m, p := hdr(7)
	m0, p0 := shn(sh0, `"`+st+`"`)
	m1, p1 := shn(sh1, `"`+st+`"`)
	m1n, p1n := shn(sh1, "null")
	m8, p8 := hdr(8)
	tests := []struct {
		name     string
		notes    []note
		done     bool
		notified int
		missing  map[int][]Key
		extra    map[int]int
		lat      []time.Duration
		early    int
	}{
		{name: "all in time", notes: []note{n(0, m, p, 5), n(1, m, p, 6), n(0, m0, p0, 30), n(1, m1, p1, 20)},
			done: true, notified: 2, lat: []time.Duration{30 * time.Millisecond, 20 * time.Millisecond}},
		{name: "one missing its script hash", notes: []note{n(0, m, p, 5), n(1, m, p, 6), n(0, m0, p0, 30)},
			notified: 1, missing: map[int][]Key{1: {ScriptKey(sh1, &st)}}, lat: []time.Duration{30 * time.Millisecond}},
		{name: "wrong status and wrong height are extras, not matches",
			notes:    []note{n(0, m8, p8, 5), n(0, m0, p0, 6), n(1, m, p, 1), n(1, m1n, p1n, 2)},
			notified: 0, missing: map[int][]Key{0: {HeaderKey(7)}, 1: {ScriptKey(sh1, &st)}}, extra: map[int]int{0: 1, 1: 1}},
		{name: "duplicate after done, and a note for a session outside the round",
			notes: []note{n(0, m, p, 5), n(0, m0, p0, 6), n(0, m, p, 7), n(1, m, p, 1), n(1, m1, p1, 2), n(2, m, p, 3)},
			done:  true, notified: 2, extra: map[int]int{0: 1, 2: 1}, lat: []time.Duration{6 * time.Millisecond, 2 * time.Millisecond}},
		{name: "before t0 counts as early, recorded as 0",
			notes: []note{n(0, m, p, -5), n(0, m0, p0, -3), n(1, m, p, 1), n(1, m1, p1, 4)},
			done:  true, notified: 2, early: 1, lat: []time.Duration{0, 4 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBook(3)
			b.Start(expect)
			for _, x := range tt.notes {
				b.Note(x.sess, x.method, json.RawMessage(x.params), t0.Add(time.Duration(x.ms)*time.Millisecond))
			}
			select {
			case <-b.Done():
				if !tt.done {
					t.Fatal("Done closed with sessions missing notifications")
				}
			default:
				if tt.done {
					t.Fatalf("Done still open, %d remaining", b.Remaining())
				}
			}
			r := b.Finish(t0)
			if r.Sessions != 2 || r.Notified != tt.notified || r.Early != tt.early {
				t.Fatalf("sessions %d notified %d early %d", r.Sessions, r.Notified, r.Early)
			}
			if len(r.Missing) != len(tt.missing) {
				t.Fatalf("missing %+v, want %v", r.Missing, tt.missing)
			}
			for _, ms := range r.Missing {
				if want := tt.missing[ms.Session]; len(want) != len(ms.Keys) || want[0] != ms.Keys[0] {
					t.Fatalf("session %d misses %v, want %v", ms.Session, ms.Keys, want)
				}
			}
			if len(r.Extra) != len(tt.extra) {
				t.Fatalf("extra %+v, want %v", r.Extra, tt.extra)
			}
			for _, x := range r.Extra {
				if tt.extra[x.Session] != x.Count {
					t.Fatalf("session %d: %d extras, want %d", x.Session, x.Count, tt.extra[x.Session])
				}
			}
			if len(r.Values) != len(tt.lat) {
				t.Fatalf("latencies %v, want %v", r.Values, tt.lat)
			}
			for i := range r.Values {
				if r.Values[i] != tt.lat[i] {
					t.Fatalf("latencies %v, want %v", r.Values, tt.lat)
				}
			}
			if r.Latency.Count() != int64(tt.notified) {
				t.Fatalf("recorder has %d samples", r.Latency.Count())
			}
			hk := r.Kinds["header"]
			if hk.Expected != 2 {
				t.Fatalf("header tally %+v", hk)
			}
		})
	}
}

// After Finish, late notifications are stray; a new round starts clean.
func TestBookRounds(t *testing.T) {
	b := NewBook(2)
	b.Start(func(i int) []Key { return []Key{HeaderKey(1)} })
	m, p := hdr(1)
	b.Note(0, m, json.RawMessage(p), time.Now())
	r := b.Finish(time.Now())
	if r.Notified != 1 || len(r.Missing) != 1 || r.Missing[0].Session != 1 {
		t.Fatalf("round 1: %+v", r)
	}
	b.Note(1, m, json.RawMessage(p), time.Now()) // too late
	b.Note(5, m, json.RawMessage(p), time.Now()) // no such session
	if b.Stray() != 2 {
		t.Fatalf("stray = %d, want 2", b.Stray())
	}
	b.Start(func(i int) []Key { return nil })
	select {
	case <-b.Done():
	default:
		t.Fatal("a round expecting nothing is done at once")
	}
	if r := b.Finish(time.Now()); r.Sessions != 0 || len(r.Extra) != 0 {
		t.Fatalf("round 2: %+v", r)
	}
}

func TestSplitOutputs(t *testing.T) {
	mk := func(n int) []*wire.TxOut {
		outs := make([]*wire.TxOut, n)
		for i := range outs {
			outs[i] = wire.NewTxOut(int64(i), nil)
		}
		return outs
	}
	tests := []struct {
		n, per int
		sizes  []int
	}{
		{0, 10, nil},
		{1, 10, []int{1}},
		{10, 10, []int{10}},
		{11, 10, []int{5, 6}},
		{10000, 2000, []int{2000, 2000, 2000, 2000, 2000}},
		{10001, 2000, []int{1666, 1667, 1667, 1667, 1667, 1667}},
		{20, 3, []int{2, 3, 3, 3, 3, 3, 3}},
	}
	for _, tt := range tests {
		outs := mk(tt.n)
		chunks, err := SplitOutputs(outs, tt.per)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) != len(tt.sizes) {
			t.Fatalf("%d per %d: %d chunks, want %v", tt.n, tt.per, len(chunks), tt.sizes)
		}
		next := int64(0)
		for i, c := range chunks {
			if len(c) != tt.sizes[i] || len(c) > tt.per {
				t.Fatalf("%d per %d: chunk %d has %d", tt.n, tt.per, i, len(c))
			}
			for _, o := range c { // every output once, in order
				if o.Value != next {
					t.Fatalf("%d per %d: output %d where %d expected", tt.n, tt.per, o.Value, next)
				}
				next++
			}
		}
		if next != int64(tt.n) {
			t.Fatalf("%d outputs in chunks, want %d", next, tt.n)
		}
	}
	if _, err := SplitOutputs(mk(3), 0); err == nil {
		t.Fatal("0 per tx accepted")
	}
}

func TestTopoOrderAndStatuses(t *testing.T) {
	parent := wire.NewMsgTx(2)
	parent.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 7}, nil, nil))
	parent.AddTxOut(wire.NewTxOut(1, []byte{1}))
	child := wire.NewMsgTx(2)
	ph := parent.TxHash()
	child.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&ph, 0), nil, nil))
	child.AddTxOut(wire.NewTxOut(1, []byte{2}))
	for range 5 { // map order varies
		got := topoOrder(map[sdk.Hash]*wire.MsgTx{sdk.Hash(child.TxHash()): child, sdk.Hash(ph): parent})
		if len(got) != 2 || got[0] != parent {
			t.Fatal("child before parent")
		}
	}
	sts, ids := fundingStatuses([]*wire.MsgTx{parent, child}, nil)
	if ids[0] != sdk.Hash(ph).String() || *sts[0] != *Status([]StatusEntry{{ids[0], 0}}) || *sts[1] != *Status([]StatusEntry{{ids[1], -1}}) {
		t.Fatal("mempool heights: want 0 for a tx with confirmed inputs, -1 for one spending a mempool tx")
	}
	if sts, _ := fundingStatuses([]*wire.MsgTx{child}, []sdk.Hash{sdk.Hash(ph)}); *sts[0] != *Status([]StatusEntry{{sdk.Hash(child.TxHash()).String(), -1}}) {
		t.Fatal("a tx spending an earlier mempool tx has height -1")
	}
	if m := fundingIndex([]*wire.MsgTx{parent, child}); m[ScriptHash([]byte{2})] != 1 || m[ScriptHash([]byte{1})] != 0 {
		t.Fatalf("fundingIndex %v", m)
	}
}

func TestFindMetric(t *testing.T) {
	text := "# HELP go_memstats_heap_inuse_bytes x\n# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes_total 1\ngo_memstats_heap_inuse_bytes 1.2345e+07\n"
	v, err := findMetric(bufio.NewScanner(strings.NewReader(text)), HeapInuseMetric)
	if err != nil || v != 12345000 {
		t.Fatalf("%v %v", v, err)
	}
	if _, err := findMetric(bufio.NewScanner(strings.NewReader("x 1\n")), HeapInuseMetric); err == nil {
		t.Fatal("missing metric not reported")
	}
}

func TestFreshOffset(t *testing.T) {
	ctx := context.Background()
	used := map[string]bool{}
	for _, off := range []int{100, 110} { // two earlier runs of 10 scripts at the same tip
		s, _ := DeriveScripts(3, off, 1)
		used[s[0].Hash] = true
	}
	calls := 0
	has := func(_ context.Context, sh string) (bool, error) { calls++; return used[sh], nil }
	off, err := FreshOffset(ctx, 3, 100, 10, has)
	if err != nil || off != 120 || calls != 3 {
		t.Fatalf("offset %d after %d probes (%v), want 120 after 3", off, calls, err)
	}
	if _, err := FreshOffset(ctx, 3, 100, 10, func(context.Context, string) (bool, error) { return false, errors.New("down") }); err == nil {
		t.Fatal("probe error not returned")
	}
}
