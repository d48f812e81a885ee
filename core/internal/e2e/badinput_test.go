package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/pyfmt"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/btcsuite/btcd/wire"
)

// match is how an expected error message is compared.
type match int

const (
	exact    match = iota // message equals msg
	prefix                // message starts with msg
	contains              // message contains msg
	codeOnly              // only the code is checked
)

type wantErr struct {
	code int
	msg  string
	how  match
}

func checkErr(t *testing.T, name string, res json.RawMessage, got *harness.RPCError, want wantErr) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: result %s, want error %d %q", name, res, want.code, want.msg)
		return
	}
	ok := got.Code == want.code
	switch want.how {
	case exact:
		ok = ok && got.Message == want.msg
	case prefix:
		ok = ok && strings.HasPrefix(got.Message, want.msg)
	case contains:
		ok = ok && strings.Contains(got.Message, want.msg)
	}
	if !ok {
		t.Errorf("%s: error %d %q (transport %v), want %d %q", name, got.Code, got.Message, got.Err, want.code, want.msg)
	}
}

// TestBadInput sends invalid parameters to every client method and malformed
// messages to one session, and checks the spec's error code and message for
// each (docs/protocol.md: Dialects and batches, Parameters, Version
// negotiation; docs/methods.md); the session must still answer afterwards. It
// also checks MAX_RECV (an over-long line is dropped silently) and MAX_SEND
// (an oversized response becomes a -32600 error; MAX_SEND below 350,000 is
// raised to 350,000).
func TestBadInput(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	w, _ := generate(t, node, 31, regtest.Spec{Blocks: 110, TxPerBlock: 3, Scripts: 10})
	ctx := timeout(t, 3*time.Minute)
	// A transaction whose verbose form (~700 kB of JSON) exceeds MAX_SEND
	// while its raw hex (~190 kB) does not.
	big, err := w.Script(7000, regtest.P2PKH)
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]*wire.TxOut, 2800)
	for i := range outs {
		outs[i] = wire.NewTxOut(regtest.MinOutput, big.PkScript)
	}
	bigTx, err := w.Pay(ctx, node, outs, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{
		DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"MAX_SEND": "100000", "MAX_RECV": "100000"},
	})
	c := harness.Dial(t, a.TCPAddr())
	// server.version first (ElectrumX 1.19+ refuses anything before it).
	if v, err := c.Negotiate(ctx, "e2e", "1.4.2"); err != nil || len(v) != 2 || v[1] != "1.4.2" {
		t.Fatalf("server.version 1.4.2 = %v, %v", v, err)
	}
	waitCaughtUp(t, c, m)

	t.Run("params", func(t *testing.T) { badParams(t, c, m) })
	t.Run("version", func(t *testing.T) { badVersions(t, a.TCPAddr(), m) })
	t.Run("wire", func(t *testing.T) { badWire(t, c) })
	t.Run("max send", func(t *testing.T) {
		ctx := timeout(t, time.Minute)
		txid := bigTx.TxHash().String()
		var hexTx string
		if err := c.CallInto(ctx, &hexTx, "blockchain.transaction.get", txid); err != nil || len(hexTx) != 2*bigTx.SerializeSize() {
			t.Fatalf("transaction.get of the big tx (positive control): %d hex chars, %v", len(hexTx), err)
		}
		res, rerr := c.Call(ctx, "blockchain.transaction.get", txid, true)
		checkErr(t, "verbose big tx", res, rerr, wantErr{-32600, "response too large (over 350,000 bytes", exact})
	})
	if _, rerr := c.Call(timeout(t, 10*time.Second), "server.ping"); rerr != nil {
		t.Fatalf("session no longer answers server.ping: %v", rerr)
	}
}

func badParams(t *testing.T, c *harness.Client, m *harness.Model) {
	ctx := timeout(t, time.Minute)
	tip := m.Tip()
	h1 := int64(1) // the first block with a non-coinbase transaction
	for len(m.BlockTxids(h1)) < 2 {
		h1++
	}
	txid := m.BlockTxids(h1)[1].String()
	var sh string
	for _, s := range m.ScriptHashes() {
		if len(m.ConfirmedHistory(s)) > 0 {
			sh = s
			break
		}
	}
	unknownTx := strings.Repeat("ab", 32)
	notOnDisk := "db error: DBError('block " + pyfmt.Thousands(tip+1) + " not on disk (>" + pyfmt.Thousands(tip) + ")')"
	tests := []struct {
		name   string
		method string
		params []any
		want   wantErr
	}{
		{"get_balance non-hex", "blockchain.scripthash.get_balance", []any{"zz"}, wantErr{1, "zz is not a valid script hash", exact}},
		{"get_history 31 bytes", "blockchain.scripthash.get_history", []any{sh[:62]}, wantErr{1, sh[:62] + " is not a valid script hash", exact}},
		{"get_mempool number", "blockchain.scripthash.get_mempool", []any{5}, wantErr{1, "5 is not a valid script hash", exact}},
		{"listunspent 33 bytes", "blockchain.scripthash.listunspent", []any{sh + "00"}, wantErr{1, sh + "00 is not a valid script hash", exact}},
		{"subscribe non-hex", "blockchain.scripthash.subscribe", []any{strings.Repeat("g", 64)}, wantErr{1, strings.Repeat("g", 64) + " is not a valid script hash", exact}},
		{"unsubscribe non-hex", "blockchain.scripthash.unsubscribe", []any{"x"}, wantErr{1, "x is not a valid script hash", exact}},
		{"get_balance no args", "blockchain.scripthash.get_balance", []any{}, wantErr{-32602, `passed to method "blockchain.scripthash.get_balance" but it requires 1`, contains}},
		{"get_history too many", "blockchain.scripthash.get_history", []any{sh, sh}, wantErr{-32602, "", codeOnly}},
		{"block.header string", "blockchain.block.header", []any{"x"}, wantErr{1, "x should be a non-negative integer", exact}},
		{"block.header negative", "blockchain.block.header", []any{-1}, wantErr{1, "-1 should be a non-negative integer", exact}},
		{"block.header above tip", "blockchain.block.header", []any{tip + 1}, wantErr{1, "height " + pyfmt.Thousands(tip+1) + " out of range", exact}},
		{"block.header cp below height", "blockchain.block.header", []any{5, 2}, wantErr{1, "require header height 5 <= cp_height 2 <= chain height " + pyfmt.Thousands(tip), exact}},
		{"block.header cp above tip", "blockchain.block.header", []any{1, tip + 10}, wantErr{1, "require header height 1 <= cp_height " + pyfmt.Thousands(tip+10) + " <= chain height " + pyfmt.Thousands(tip), exact}},
		{"block.header cp string", "blockchain.block.header", []any{1, "y"}, wantErr{1, "y should be a non-negative integer", exact}},
		{"block.headers count string", "blockchain.block.headers", []any{0, "z"}, wantErr{1, "z should be a non-negative integer", exact}},
		{"block.headers negative start", "blockchain.block.headers", []any{-3, 1}, wantErr{1, "-3 should be a non-negative integer", exact}},
		{"block.headers cp below last", "blockchain.block.headers", []any{10, 5, 12}, wantErr{1, "require header height 14 <= cp_height 12 <= chain height " + pyfmt.Thousands(tip), exact}},
		{"estimatefee string", "blockchain.estimatefee", []any{"x"}, wantErr{1, "x should be a non-negative integer", exact}},
		{"estimatefee mode", "blockchain.estimatefee", []any{2, "FAST"}, wantErr{1, "unknown estimatefee mode: FAST", exact}},
		{"transaction.get short hash", "blockchain.transaction.get", []any{"abc"}, wantErr{1, "abc should be a transaction hash", exact}},
		{"transaction.get verbose", "blockchain.transaction.get", []any{txid, "yes"}, wantErr{1, `"verbose" must be a boolean`, exact}},
		{"transaction.get unknown", "blockchain.transaction.get", []any{unknownTx}, wantErr{2, "daemon error: ", prefix}},
		{"get_merkle short hash", "blockchain.transaction.get_merkle", []any{"12", 1}, wantErr{1, "12 should be a transaction hash", exact}},
		{"get_merkle height string", "blockchain.transaction.get_merkle", []any{txid, "h"}, wantErr{1, "h should be a non-negative integer", exact}},
		{"get_merkle above tip", "blockchain.transaction.get_merkle", []any{txid, tip + 1}, wantErr{1, notOnDisk, exact}},
		{"get_merkle wrong block", "blockchain.transaction.get_merkle", []any{txid, h1 + 1}, wantErr{1, "tx " + txid + " not in block at height " + pyfmt.Thousands(h1+1), exact}},
		{"get_merkle genesis", "blockchain.transaction.get_merkle", []any{m.BlockTxids(0)[0].String(), 0}, wantErr{1, "", codeOnly}},
		{"id_from_pos position", "blockchain.transaction.id_from_pos", []any{h1, 999}, wantErr{1, "no tx at position 999 in block at height " + pyfmt.Thousands(h1), exact}},
		{"id_from_pos merkle flag", "blockchain.transaction.id_from_pos", []any{h1, 0, "yes"}, wantErr{1, `"merkle" must be a boolean`, exact}},
		{"id_from_pos above tip", "blockchain.transaction.id_from_pos", []any{tip + 1, 0}, wantErr{1, notOnDisk, exact}},
		{"id_from_pos negative", "blockchain.transaction.id_from_pos", []any{-1, 0}, wantErr{1, "-1 should be a non-negative integer", exact}},
		{"id_from_pos genesis", "blockchain.transaction.id_from_pos", []any{0, 0}, wantErr{1, "", codeOnly}},
		{"broadcast garbage", "blockchain.transaction.broadcast", []any{"00"}, wantErr{1, "the transaction was rejected by network rules.\n\n", prefix}},
		{"server.version twice", "server.version", []any{"e2e", "1.4"}, wantErr{1, "server.version already sent", exact}},
		{"removed address method", "blockchain.address.get_balance", []any{"bcrt1qxyz"}, wantErr{-32601, `unknown method "blockchain.address.get_balance"`, exact}},
		{"removed numblocks", "blockchain.numblocks.subscribe", []any{}, wantErr{-32601, `unknown method "blockchain.numblocks.subscribe"`, exact}},
		{"unknown method", "no.such.method", []any{}, wantErr{-32601, `unknown method "no.such.method"`, exact}},
	}
	for _, tc := range tests {
		res, rerr := c.Call(ctx, tc.method, tc.params...)
		checkErr(t, tc.name, res, rerr, tc.want)
	}
	res, rerr := c.Call(ctx, "blockchain.transaction.broadcast", "00")
	if rerr != nil && !strings.HasSuffix(rerr.Message, "\n[00]") {
		t.Errorf("broadcast rejection %q does not end with the raw tx in brackets", rerr.Message)
	}
	_ = res
	// By-name parameters.
	if _, rerr := c.CallNamed(ctx, "blockchain.scripthash.get_balance", map[string]any{"scripthash": sh}); rerr != nil {
		t.Errorf("get_balance by name: %v", rerr)
	}
	res, rerr = c.CallNamed(ctx, "blockchain.scripthash.get_balance", map[string]any{"bogus": sh})
	checkErr(t, "get_balance unknown named arg", res, rerr, wantErr{-32602, "", codeOnly})
	// unsubscribe exists after 1.4.2: false, then true after a subscribe.
	var removed bool
	if err := c.CallInto(ctx, &removed, "blockchain.scripthash.unsubscribe", sh); err != nil || removed {
		t.Errorf("unsubscribe of an unsubscribed script = %v, %v; want false", removed, err)
	}
	if _, rerr := c.Call(ctx, "blockchain.scripthash.subscribe", sh); rerr != nil {
		t.Fatal(rerr)
	}
	if err := c.CallInto(ctx, &removed, "blockchain.scripthash.unsubscribe", sh); err != nil || !removed {
		t.Errorf("unsubscribe of a subscribed script = %v, %v; want true", removed, err)
	}
}

// badVersions checks the version negotiation failures, each on its own
// connection (a failed negotiation closes it), and that unsubscribe is
// gated to 1.4.2.
func badVersions(t *testing.T, addr string, m *harness.Model) {
	ctx := timeout(t, time.Minute)
	tests := []struct {
		name    string
		version any
		msg     string
	}{
		{"too old", "1.3", "unsupported protocol version: 1.3"},
		{"too new range", []string{"1.7", "1.8"}, "unsupported protocol version: ['1.7', '1.8']"},
		{"garbage", "abc", "unsupported protocol version: abc"},
	}
	for _, tc := range tests {
		c := harness.Dial(t, addr)
		res, rerr := c.Call(ctx, "server.version", "e2e", tc.version)
		checkErr(t, tc.name, res, rerr, wantErr{1, tc.msg, exact})
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("%s: connection still open after a failed negotiation", tc.name)
		}
	}
	sh := m.ScriptHashes()[0]
	// ElectrumX 1.19+: server.version must come first (session.py
	// handle_request); anything else is refused and the session closed.
	pre := harness.Dial(t, addr)
	pre.NoAutoVersion = true
	res, rerr := pre.Call(ctx, "blockchain.scripthash.get_balance", sh)
	checkErr(t, "request before server.version", res, rerr, wantErr{1, "use server.version to identify client", exact})
	select {
	case <-pre.Done():
	case <-time.After(10 * time.Second):
		t.Errorf("connection still open after a request before server.version")
	}
	v14 := harness.Dial(t, addr)
	if v, err := v14.Negotiate(ctx, "electrum/4.3.4", "1.4"); err != nil || v[1] != "1.4" {
		t.Fatalf("negotiate 1.4: %v %v", v, err)
	}
	res, rerr = v14.Call(ctx, "blockchain.scripthash.unsubscribe", sh)
	checkErr(t, "unsubscribe under 1.4", res, rerr, wantErr{-32601, `unknown method "blockchain.scripthash.unsubscribe"`, exact})
}

// rawReply is one reply read with ReadRaw.
type rawReply struct {
	ID     json.RawMessage   `json:"id"`
	Result json.RawMessage   `json:"result"`
	Error  *harness.RPCError `json:"error"`
	Batch  []rawReply        `json:"-"`
	Raw    string            `json:"-"`
}

func readReply(t *testing.T, c *harness.Client) rawReply {
	t.Helper()
	line, err := c.ReadRaw(timeout(t, 20*time.Second))
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	var r rawReply
	if len(line) > 0 && line[0] == '[' {
		if err := json.Unmarshal(line, &r.Batch); err != nil {
			t.Fatalf("bad batch reply %s: %v", line, err)
		}
	} else if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("bad reply %s: %v", line, err)
	}
	r.Raw = string(line)
	return r
}

func send(t *testing.T, c *harness.Client, s string) {
	t.Helper()
	if err := c.Send([]byte(s)); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// badWire sends malformed messages on the session c.
func badWire(t *testing.T, c *harness.Client) {
	expect := func(name string, r rawReply, id string, want wantErr) {
		t.Helper()
		if string(r.ID) != id {
			t.Errorf("%s: reply id %s, want %s (%s)", name, r.ID, id, r.Raw)
		}
		checkErr(t, name, r.Result, r.Error, want)
	}
	send(t, c, "{not json\n")
	expect("garbage", readReply(t, c), "null", wantErr{-32700, "", codeOnly})

	send(t, c, "{\"jsonrpc\":\"2.0\",\"id\":\"u\",\"method\":\"server.p\xffng\",\"params\":[]}\n")
	r := readReply(t, c)
	checkErr(t, "non-UTF-8", r.Result, r.Error, wantErr{-32700, "", codeOnly})

	send(t, c, "[]\n")
	expect("empty batch", readReply(t, c), "null", wantErr{-32600, "batch is empty", exact})

	send(t, c, `{"jsonrpc":"2.0","id":"nm","method":"no.such.method","params":[]}`+"\n")
	expect("unknown method", readReply(t, c), `"nm"`, wantErr{-32601, `unknown method "no.such.method"`, exact})

	send(t, c, `[{"jsonrpc":"2.0","id":"b1","method":"server.ping","params":[]},`+
		`{"jsonrpc":"2.0","id":"b2","method":"blockchain.scripthash.get_balance","params":["zz"]},`+
		`{"jsonrpc":"2.0","id":"b3","method":"no.such.method"}]`+"\n")
	b := readReply(t, c)
	if len(b.Batch) != 3 {
		t.Fatalf("mixed batch: %d replies, want 3 (%s)", len(b.Batch), b.Raw)
	}
	byID := map[string]rawReply{}
	for _, x := range b.Batch {
		byID[string(x.ID)] = x
	}
	if x, ok := byID[`"b1"`]; !ok || x.Error != nil || string(x.Result) != "null" {
		t.Errorf("batch ping: %+v", x)
	}
	expect("batch invalid scripthash", byID[`"b2"`], `"b2"`, wantErr{1, "zz is not a valid script hash", exact})
	expect("batch unknown method", byID[`"b3"`], `"b3"`, wantErr{-32601, `unknown method "no.such.method"`, exact})

	// A line over MAX_RECV (100,000) is dropped without a reply; the next
	// request on the connection is answered.
	long := `{"jsonrpc":"2.0","id":"big","method":"server.ping","params":["` + strings.Repeat("a", 150_000) + `"]}` + "\n"
	send(t, c, long)
	send(t, c, `{"jsonrpc":"2.0","id":"after","method":"server.ping","params":[]}`+"\n")
	r = readReply(t, c)
	if string(r.ID) != `"after"` || r.Error != nil || string(r.Result) != "null" {
		t.Errorf("after an over-long line: got %s, want the reply to \"after\"", r.Raw)
	}
}
