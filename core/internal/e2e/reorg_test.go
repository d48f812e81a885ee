package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// TestReorgMatchesFreshSync makes the node switch to a competing branch
// (invalidateblock at tip-3, a hand-made block double-spending a
// transaction of the old branch, new transactions, 4 more blocks) under a
// running amberd. Afterwards every answer for every script must equal the
// model and a second amberd synced from scratch on the same node; the
// subscriber must have been notified of the new tip and of the final status
// of every subscribed script whose status changed.
func TestReorgMatchesFreshSync(t *testing.T) {
	for _, engine := range harness.Engines() {
		t.Run(engine, func(t *testing.T) { testReorgMatchesFreshSync(t, engine) })
	}
}

// testReorgMatchesFreshSync runs the live amberd on engine and the fresh
// one on the other engine.
func testReorgMatchesFreshSync(t *testing.T, engine string) {
	other := harness.Engines()[0]
	if other == engine {
		other = harness.Engines()[1]
	}
	node := harness.StartNode(t, regtest.NodeOptions{})
	w, _ := generate(t, node, 21, regtest.Spec{
		Blocks: 445, TxPerBlock: 8, Scripts: 80, SameBlockSpends: true, MempoolTxs: 6,
	})
	m0 := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Engine: engine})
	clients := dialN(t, a.TCPAddr(), 3)
	waitCaughtUp(t, clients[0], m0)

	ctx := timeout(t, 4*time.Minute)
	fork := m0.Tip() - 3
	victim, input := findVictim(t, node, w, m0, fork)

	// Subscribe to the headers and to ~20 scripts the old branch touched,
	// the double-spent input's script first.
	sub := clients[2]
	shs := []string{harness.ScriptHash(input.Script.PkScript)}
	for _, sh := range m0.ScriptHashes() {
		for _, e := range m0.ConfirmedHistory(sh) {
			if e.Height >= fork && len(shs) < 20 && !slices.Contains(shs, sh) {
				shs = append(shs, sh)
			}
		}
	}
	var tipHdr harness.Header
	if err := sub.CallInto(ctx, &tipHdr, "blockchain.headers.subscribe"); err != nil || tipHdr.Height != m0.Tip() {
		t.Fatalf("headers.subscribe = %+v, %v; want height %d", tipHdr, err, m0.Tip())
	}
	for _, sh := range shs {
		var st *string
		if err := sub.CallInto(ctx, &st, "blockchain.scripthash.subscribe", sh); err != nil {
			t.Fatal(err)
		}
	}

	// The competing branch.
	if err := node.InvalidateBlock(ctx, m0.BlockHash(fork)); err != nil {
		t.Fatal(err)
	}
	dest, err := w.Script(8000, regtest.P2WPKH)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := regtest.CreateTx([]regtest.UTXO{input}, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	blk := submitBlock(t, node, m0, fork, []*wire.MsgTx{ds}, w.MiningScript().PkScript)
	payNewTxs(t, node, w, 9000, 3) // mined in the new branch
	if _, err := node.Generate(ctx, 4); err != nil {
		t.Fatal(err)
	}
	payNewTxs(t, node, w, 9100, 2) // left in the mempool
	m1 := buildModel(t, node)
	if m1.Tip() != m0.Tip()+1 || m1.BlockHash(fork) != sdk.Hash(blk.BlockHash()) {
		t.Fatalf("node did not switch: tip %d, block %d %s (want %s)", m1.Tip(), fork, m1.BlockHash(fork), blk.BlockHash())
	}
	if _, _, ok := m1.TxPos(victim); ok || slices.Contains(m1.MempoolTxids(), victim) {
		t.Fatalf("double-spent tx %s still in the chain or mempool", victim)
	}
	changed := m1.ChangedScripts(m0)
	var subChanged []string
	for _, sh := range shs {
		if slices.Contains(changed, sh) {
			subChanged = append(subChanged, sh)
		}
	}
	if len(subChanged) == 0 {
		t.Fatalf("no subscribed script changed status; the test would prove nothing")
	}
	t.Logf("fork at %d, %d scripts changed status (%d subscribed)", fork, len(changed), len(subChanged))

	waitCaughtUp(t, clients[0], m1)
	t.Run("notifications", func(t *testing.T) { checkNotifications(t, sub, m1, subChanged) })
	t.Run("scripts vs model", func(t *testing.T) { checkAllScripts(t, clients[:2], m1) })
	t.Run("tx proofs", func(t *testing.T) { checkAllTxProofs(t, clients[:2], m1) })
	t.Run("headers", func(t *testing.T) { checkHeaders(t, clients[1], m1) })

	b := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Engine: other})
	fresh := dialN(t, b.TCPAddr(), 2)
	waitCaughtUp(t, fresh[0], m1)
	t.Run("reorged vs fresh", func(t *testing.T) { compareServers(t, clients[:2], fresh, m1) })
}

// findVictim picks a transaction of the old branch (height >= fork) with a
// P2PKH input the wallet can sign, funded below the fork and mature there,
// and returns it with that input.
func findVictim(t *testing.T, node *regtest.Node, w *regtest.Wallet, m *harness.Model, fork int64) (sdk.Hash, regtest.UTXO) {
	t.Helper()
	ctx := timeout(t, time.Minute)
	for h := fork; h <= m.Tip(); h++ {
		for _, txid := range m.BlockTxids(h)[1:] {
			tx, err := node.GetRawTransaction(ctx, txid)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range tx.TxIn {
				prev := in.PreviousOutPoint
				fh, fpos, ok := m.TxPos(sdk.Hash(prev.Hash))
				if !ok || fh >= fork || (fpos == 0 && fork-fh < regtest.CoinbaseMaturity) {
					continue
				}
				ptx, err := node.GetRawTransaction(ctx, sdk.Hash(prev.Hash))
				if err != nil {
					t.Fatal(err)
				}
				out := ptx.TxOut[prev.Index]
				s := w.Lookup(out.PkScript)
				if s == nil || s.Type != regtest.P2PKH {
					continue
				}
				return txid, regtest.UTXO{OutPoint: prev, Value: out.Value, Script: s, Height: fh, Coinbase: fpos == 0}
			}
		}
	}
	t.Fatalf("no transaction above %d spends a P2PKH wallet output from below it", fork)
	return sdk.Hash{}, regtest.UTXO{}
}

// submitBlock mines a block at height on top of the model's block height-1
// holding a coinbase paying payTo and txs (which must carry no witness), and
// submits it with submitblock.
func submitBlock(t *testing.T, node *regtest.Node, m *harness.Model, height int64, txs []*wire.MsgTx, payTo []byte) *wire.MsgBlock {
	t.Helper()
	var parent wire.BlockHeader
	if err := parent.Deserialize(bytes.NewReader(harness.HexBytes(m.HeaderHex(height - 1)))); err != nil {
		t.Fatal(err)
	}
	sig, err := txscript.NewScriptBuilder().AddInt64(height).AddData([]byte("amber-e2e-reorg")).Script()
	if err != nil {
		t.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), sig, nil))
	cb.AddTxOut(wire.NewTxOut(10_000, payTo))
	blk := wire.NewMsgBlock(&wire.BlockHeader{
		Version:   0x20000000,
		PrevBlock: parent.BlockHash(),
		Timestamp: time.Unix(max(time.Now().Unix(), parent.Timestamp.Unix()+1), 0),
		Bits:      parent.Bits,
	})
	all := append([]*wire.MsgTx{cb}, txs...)
	utxs := make([]*btcutil.Tx, len(all))
	for i, tx := range all {
		_ = blk.AddTransaction(tx)
		utxs[i] = btcutil.NewTx(tx)
	}
	blk.Header.MerkleRoot = blockchain.CalcMerkleRoot(utxs, false)
	target := blockchain.CompactToBig(parent.Bits)
	for {
		h := blk.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			break
		}
		blk.Header.Nonce++
	}
	var buf bytes.Buffer
	if err := blk.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := node.Call(timeout(t, time.Minute), "submitblock", hex.EncodeToString(buf.Bytes()))
	if err != nil {
		t.Fatalf("submitblock: %v", err)
	}
	if s := string(bytes.TrimSpace(res)); s != "null" && s != "" {
		t.Fatalf("submitblock rejected: %s", s)
	}
	return blk
}

// payNewTxs resyncs the wallet (the chain reorganised), applies the
// node's mempool to it in dependency order, and pays n new scripts (keys
// firstKey...).
func payNewTxs(t *testing.T, node *regtest.Node, w *regtest.Wallet, firstKey, n int) {
	t.Helper()
	ctx := timeout(t, time.Minute)
	if err := w.Sync(ctx, node); err != nil {
		t.Fatal(err)
	}
	ids, err := node.RawMempool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txs := map[sdk.Hash]*wire.MsgTx{}
	for _, id := range ids {
		tx, err := node.GetRawTransaction(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		txs[id] = tx
	}
	for len(txs) > 0 {
		progress := false
		for id, tx := range txs {
			ready := true
			for _, in := range tx.TxIn {
				if _, pending := txs[sdk.Hash(in.PreviousOutPoint.Hash)]; pending {
					ready = false
				}
			}
			if ready {
				w.AddTx(tx)
				delete(txs, id)
				progress = true
			}
		}
		if !progress {
			t.Fatal("mempool has a dependency cycle")
		}
	}
	for i := range n {
		s, err := w.Script(firstKey+i, regtest.AllScriptTypes[i%len(regtest.AllScriptTypes)])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(int64(20_000+i), s.PkScript)}, 3); err != nil {
			t.Fatal(err)
		}
	}
}

// checkNotifications drains the subscriber's notifications until it has
// seen the model's tip header and, for every script in changed, a last
// notified status equal to the model's.
func checkNotifications(t *testing.T, sub *harness.Client, m *harness.Model, changed []string) {
	ctx := timeout(t, time.Minute)
	want := harness.Header{Hex: m.HeaderHex(m.Tip()), Height: m.Tip()}
	gotHeader := false
	last := map[string]*string{}
	var headers []int64
	done := func() bool {
		if !gotHeader {
			return false
		}
		for _, sh := range changed {
			st, ok := last[sh]
			if !ok || !sameStatus(st, m.Status(sh)) {
				return false
			}
		}
		return true
	}
	for !done() {
		select {
		case n, ok := <-sub.Notifications():
			if !ok {
				t.Fatal("subscriber connection closed")
			}
			switch n.Method {
			case "blockchain.headers.subscribe":
				var p []harness.Header
				if err := json.Unmarshal(n.Params, &p); err != nil || len(p) != 1 {
					t.Fatalf("bad header notification %s: %v", n.Params, err)
				}
				headers = append(headers, p[0].Height)
				gotHeader = gotHeader || p[0] == want
			case "blockchain.scripthash.subscribe":
				var p []json.RawMessage
				var sh string
				var st *string
				if json.Unmarshal(n.Params, &p) != nil || len(p) != 2 || json.Unmarshal(p[0], &sh) != nil || json.Unmarshal(p[1], &st) != nil {
					t.Fatalf("bad status notification %s", n.Params)
				}
				last[sh] = st
			default:
				t.Errorf("unexpected notification %s %s", n.Method, n.Params)
			}
		case <-ctx.Done():
			var missing []string
			for _, sh := range changed {
				if st, ok := last[sh]; !ok || !sameStatus(st, m.Status(sh)) {
					missing = append(missing, sh)
				}
			}
			t.Fatalf("after the reorg: header for tip %d seen %v (header notifications %v); %d of %d changed scripts without their final status: %v",
				m.Tip(), gotHeader, headers, len(missing), len(changed), missing)
		}
	}
}

func sameStatus(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// compareServers asks both sets of clients the same questions for every
// script and every new-branch block and compares the answers.
func compareServers(t *testing.T, as, bs []*harness.Client, m *harness.Model) {
	ctx := timeout(t, 5*time.Minute)
	methods := []string{
		"blockchain.scripthash.get_history", "blockchain.scripthash.get_mempool",
		"blockchain.scripthash.get_balance", "blockchain.scripthash.listunspent",
		"blockchain.scripthash.subscribe",
	}
	type q struct {
		method string
		params []any
	}
	var qs []q
	for _, sh := range m.ScriptHashes() {
		for _, meth := range methods {
			qs = append(qs, q{meth, []any{sh}})
		}
	}
	for h := int64(1); h <= m.Tip(); h++ {
		qs = append(qs, q{"blockchain.block.header", []any{h}})
	}
	for h := m.Tip() - 5; h <= m.Tip(); h++ {
		for pos, txid := range m.BlockTxids(h) {
			qs = append(qs, q{"blockchain.transaction.get_merkle", []any{txid.String(), h}},
				q{"blockchain.transaction.id_from_pos", []any{h, pos, true}})
		}
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(qs); i += len(as) {
				if err := sameAnswer(ctx, as[w], bs[w%len(bs)], qs[i].method, qs[i].params); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == 10 {
			t.Errorf("... and %d more", len(errs)-10)
			break
		}
		t.Error(err)
	}
	t.Logf("%d questions compared", len(qs))
}

func sameAnswer(ctx context.Context, a, b *harness.Client, method string, params []any) error {
	ra, ea := a.Call(ctx, method, params...)
	rb, eb := b.Call(ctx, method, params...)
	if ea != nil || eb != nil {
		return fmt.Errorf("%s %v: reorged %v, fresh %v", method, params, ea, eb)
	}
	var va, vb any
	if method == "blockchain.scripthash.listunspent" {
		var ua, ub []harness.Unspent
		if json.Unmarshal(ra, &ua) != nil || json.Unmarshal(rb, &ub) != nil {
			return fmt.Errorf("%s %v: undecodable %s / %s", method, params, ra, rb)
		}
		va, vb = harness.NormalizeUnspent(ua), harness.NormalizeUnspent(ub)
	} else if json.Unmarshal(ra, &va) != nil || json.Unmarshal(rb, &vb) != nil {
		return fmt.Errorf("%s %v: undecodable %s / %s", method, params, ra, rb)
	}
	if !reflect.DeepEqual(va, vb) {
		return fmt.Errorf("%s %v:\nreorged %s\n  fresh %s", method, params, ra, rb)
	}
	return nil
}
