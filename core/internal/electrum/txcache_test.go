package electrum

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// chainTx is one transaction the counting daemon knows.
type chainTx struct {
	hex       string
	blockHash string // "" in the mempool
	noHex     bool   // verbose answer without "hex" (a daemon that omits it)
}

// countingDaemon answers Transaction from a table and counts its calls;
// the other Daemon methods come from fakeDaemon.
type countingDaemon struct {
	fakeDaemon
	mu      sync.Mutex
	txs     map[sdk.Hash]chainTx
	fail    error         // returned (once per call) while set
	gate    chan struct{} // when set, Transaction waits for it to close
	entered chan struct{} // receives one value per call that reached the gate
	calls   map[bool]int  // by verbose
}

func newCountingDaemon() *countingDaemon {
	return &countingDaemon{txs: map[sdk.Hash]chainTx{}, calls: map[bool]int{}}
}

func (d *countingDaemon) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	d.mu.Lock()
	d.calls[verbose]++
	gate, entered, fail := d.gate, d.entered, d.fail
	tx, ok := d.txs[txid]
	d.mu.Unlock()
	if gate != nil {
		if entered != nil {
			entered <- struct{}{}
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	if !ok {
		return nil, sdk.DaemonError(-5, "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.")
	}
	if !verbose {
		return []byte(`"` + tx.hex + `"`), nil
	}
	obj := map[string]any{"txid": txid.String(), "size": len(tx.hex) / 2}
	if !tx.noHex {
		obj["hex"] = tx.hex
	}
	if tx.blockHash != "" {
		obj["blockhash"], obj["confirmations"] = tx.blockHash, 3
	}
	return json.Marshal(obj)
}

func (d *countingDaemon) takeCalls() (raw, verbose int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	raw, verbose = d.calls[false], d.calls[true]
	d.calls = map[bool]int{}
	return raw, verbose
}

func (d *countingDaemon) setFail(err error) { d.mu.Lock(); d.fail = err; d.mu.Unlock() }

var (
	txConf    = rep(0xc1)
	txMem     = rep(0xe1)
	txNoHex   = rep(0xd1)
	txMissing = rep(0x99)
)

// newTxFixture is the package fixture with a counting daemon and a tx
// cache of cacheBytes.
func newTxFixture(t *testing.T, cacheBytes int64) (*Server, *fakeIndex, *countingDaemon) {
	t.Helper()
	_, ix, _ := newFixture(t)
	d := newCountingDaemon()
	d.txs[txConf] = chainTx{hex: "0100aa", blockHash: strings.Repeat("0", 64)}
	d.txs[txMem] = chainTx{hex: "0200bb"}
	d.txs[txNoHex] = chainTx{hex: "0300cc", blockHash: strings.Repeat("1", 64), noHex: true}
	srv := New(Options{Index: ix, Daemon: d, Genesis: dsha(ix.headers[0]), TxCacheBytes: cacheBytes})
	return srv, ix, d
}

// TestTxCache runs a sequence of steps per case: a transaction.get (raw or
// verbose) with the daemon calls it must cause, or an index event.
func TestTxCache(t *testing.T) {
	type step struct {
		event   string // "", "touch" (mempool/block event) or "reorg"
		fail    error  // daemon failure from this step on (nil clears it)
		txid    sdk.Hash
		verbose bool
		want    string // result JSON, or "error <code>"
		raw     int    // non-verbose daemon calls this step makes
		verb    int    // verbose daemon calls this step makes
	}
	confVerbose := `{"blockhash":"` + strings.Repeat("0", 64) + `","confirmations":3,"hex":"0100aa","size":3,"txid":"` + txConf.String() + `"}`
	memVerbose := `{"hex":"0200bb","size":3,"txid":"` + txMem.String() + `"}`
	down := sdk.Errorf(sdk.KindUnavailable, "daemon down")
	tests := []struct {
		name  string
		cache int64
		steps []step
	}{
		{"confirmed: miss then hits, verbose shares the fill", 1 << 20, []step{
			{txid: txConf, want: `"0100aa"`, verb: 1},
			{txid: txConf, want: `"0100aa"`},
			{txid: txConf, verbose: true, want: confVerbose},
		}},
		{"confirmed raw survives events, verbose does not", 1 << 20, []step{
			{txid: txConf, want: `"0100aa"`, verb: 1},
			{event: "touch"},
			{txid: txConf, want: `"0100aa"`},
			{txid: txConf, verbose: true, want: confVerbose, verb: 1},
			{txid: txConf, verbose: true, want: confVerbose},
		}},
		{"reorg clears confirmed", 1 << 20, []step{
			{txid: txConf, want: `"0100aa"`, verb: 1},
			{event: "reorg"},
			{txid: txConf, want: `"0100aa"`, verb: 1},
		}},
		{"mempool tx kept until the next event", 1 << 20, []step{
			{txid: txMem, want: `"0200bb"`, verb: 1},
			{txid: txMem, want: `"0200bb"`},
			{txid: txMem, verbose: true, want: memVerbose},
			{event: "touch"},
			{txid: txMem, want: `"0200bb"`, verb: 1},
		}},
		{"verbose request fills the raw entry", 1 << 20, []step{
			{txid: txConf, verbose: true, want: confVerbose, verb: 1},
			{event: "touch"},
			{txid: txConf, want: `"0100aa"`},
		}},
		{"not found is never cached", 1 << 20, []step{
			{txid: txMissing, want: "error 2", verb: 1},
			{txid: txMissing, want: "error 2", verb: 1},
			{txid: txMissing, verbose: true, want: "error 2", verb: 1},
		}},
		{"daemon errors are never cached", 1 << 20, []step{
			{fail: down, txid: txConf, want: "error 2", raw: 1, verb: 1},
			{fail: down, txid: txConf, want: "error 2", raw: 1, verb: 1},
			{txid: txConf, want: `"0100aa"`, verb: 1},
			{fail: down, txid: txConf, want: `"0100aa"`},
		}},
		{"verbose without hex: raw answer kept until the next event", 1 << 20, []step{
			{txid: txNoHex, want: `"0300cc"`, raw: 1, verb: 1},
			{txid: txNoHex, want: `"0300cc"`},
			{event: "touch"},
			{txid: txNoHex, want: `"0300cc"`, raw: 1, verb: 1},
		}},
		{"cache off: every request asks the daemon", 0, []step{
			{txid: txConf, want: `"0100aa"`, verb: 1},
			{txid: txConf, want: `"0100aa"`, verb: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, ix, d := newTxFixture(t, tc.cache)
			s := &fakeSess{}
			for i, st := range tc.steps {
				switch st.event {
				case "touch":
					srv.HandleEvent(touchEvent(ix))
					continue
				case "reorg":
					srv.HandleEvent(reorgEvent(ix))
					continue
				}
				d.setFail(st.fail)
				params := fmt.Sprintf(`[%q, %v]`, st.txid.String(), st.verbose)
				res, jerr := do(t, srv, s, "blockchain.transaction.get", params)
				got := res
				if jerr != nil {
					got = fmt.Sprintf("error %d", jerr.Code)
				}
				if got != st.want {
					t.Errorf("step %d: got %s, want %s", i, got, st.want)
				}
				if raw, verb := d.takeCalls(); raw != st.raw || verb != st.verb {
					t.Errorf("step %d: daemon calls raw %d verbose %d, want %d %d", i, raw, verb, st.raw, st.verb)
				}
			}
		})
	}
}

// TestTxCacheEvictsByBytes fills a cache that holds two entries.
func TestTxCacheEvictsByBytes(t *testing.T) {
	c := newTxCache(2 * (100 + txEntryOverhead))
	entry := func(n int) txEntry { return txEntry{res: json.RawMessage(strings.Repeat("a", n)), confirmed: true} }
	k := func(b byte) txKey { return txKey{txid: rep(b)} }
	c.put(k(1), entry(100), 0)
	c.put(k(2), entry(100), 0)
	if _, ok := c.get(k(1), 0); !ok { // 1 is now the most recently used
		t.Fatal("entry 1 missing before any eviction")
	}
	c.put(k(3), entry(100), 0)
	for _, tc := range []struct {
		key  byte
		want bool
	}{{1, true}, {2, false}, {3, true}} {
		if _, ok := c.get(k(tc.key), 0); ok != tc.want {
			t.Errorf("entry %d present %v, want %v", tc.key, ok, tc.want)
		}
	}
	if n, b := c.usage(); n != 2 || b != 2*(100+txEntryOverhead) {
		t.Errorf("usage %d entries %d bytes, want 2 and %d", n, b, 2*(100+txEntryOverhead))
	}
	// Replacing an entry accounts its new size; an entry larger than the
	// whole cache is not kept.
	c.put(k(3), entry(50), 0)
	if _, b := c.usage(); b != 150+2*txEntryOverhead {
		t.Errorf("after replace: %d bytes, want %d", b, 150+2*txEntryOverhead)
	}
	c.put(k(4), entry(1000), 0)
	if _, ok := c.get(k(4), 0); ok {
		t.Error("an entry larger than the cache was kept")
	}
	// A fill that started before a reorg is dropped.
	gen := c.generation()
	c.clear()
	c.put(k(5), entry(10), gen)
	if n, b := c.usage(); n != 0 || b != 0 {
		t.Errorf("after clear and a stale put: %d entries %d bytes, want none", n, b)
	}
}

// TestTxCacheCoalesces sends concurrent misses of one txid while the
// daemon is held: one daemon call serves them all.
func TestTxCacheCoalesces(t *testing.T) {
	for _, cache := range []int64{0, 1 << 20} {
		t.Run(fmt.Sprintf("cache %d", cache), func(t *testing.T) {
			srv, _, d := newTxFixture(t, cache)
			d.gate, d.entered = make(chan struct{}), make(chan struct{}, 100)
			const n = 20
			var wg sync.WaitGroup
			results := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, jerr := do(t, srv, &fakeSess{}, "blockchain.transaction.get", `["`+txConf.String()+`"]`)
					if jerr != nil {
						res = jerr.Message
					}
					results[i] = res
				}()
			}
			<-d.entered
			// Wait until every request has joined the flight.
			for srv.stats.TxCoalesced.Load() < n-1 {
				time.Sleep(time.Millisecond)
			}
			close(d.gate)
			wg.Wait()
			for i, r := range results {
				if r != `"0100aa"` {
					t.Errorf("request %d: %s", i, r)
				}
			}
			if raw, verb := d.takeCalls(); raw != 0 || verb != 1 {
				t.Errorf("daemon calls raw %d verbose %d, want 0 1", raw, verb)
			}
		})
	}
}

// TestTxCacheCallerGivesUp: a caller whose deadline passes gets
// DAEMON_ERROR, while the shared daemon call completes and fills the cache.
func TestTxCacheCallerGivesUp(t *testing.T) {
	srv, _, d := newTxFixture(t, 1<<20)
	d.gate, d.entered = make(chan struct{}), make(chan struct{}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := ready(srv, &fakeSess{}).Handle(ctx, "blockchain.transaction.get", json.RawMessage(`["`+txConf.String()+`"]`))
	var je *jsonrpc.Error
	if !asRPCError(err, &je) || je.Code != jsonrpc.DaemonError {
		t.Fatalf("caller past its deadline: %v, want DAEMON_ERROR", err)
	}
	<-d.entered
	close(d.gate)
	// The detached call lands in the cache: wait for it, then a request
	// is answered without the daemon.
	for {
		if n, _ := srv.TxCacheUsage(); n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	d.takeCalls()
	if res, jerr := do(t, srv, &fakeSess{}, "blockchain.transaction.get", `["`+txConf.String()+`"]`); jerr != nil || res != `"0100aa"` {
		t.Fatalf("after the fill: %s %v", res, jerr)
	}
	if raw, verb := d.takeCalls(); raw+verb != 0 {
		t.Errorf("daemon calls after the fill: raw %d verbose %d, want none", raw, verb)
	}
}

func asRPCError(err error, target **jsonrpc.Error) bool {
	je, ok := err.(*jsonrpc.Error)
	if ok {
		*target = je
	}
	return ok
}

func TestParseVerboseTx(t *testing.T) {
	id := rep(0x42)
	tests := []struct {
		name, in  string
		hex       string
		confirmed bool
		ok        bool
	}{
		{"confirmed", `{"txid":"` + id.String() + `","hex":"00ff","blockhash":"ab","confirmations":1}`, `"00ff"`, true, true},
		{"mempool", `{"txid":"` + id.String() + `","hex":"00ff"}`, `"00ff"`, false, true},
		{"zero confirmations", `{"txid":"` + id.String() + `","hex":"00ff","blockhash":"ab","confirmations":0}`, `"00ff"`, false, true},
		{"other txid", `{"txid":"` + rep(1).String() + `","hex":"00ff"}`, "", false, false},
		{"no hex", `{"txid":"` + id.String() + `"}`, "", false, false},
		{"upper-case hex", `{"txid":"` + id.String() + `","hex":"00FF"}`, "", false, false},
		{"odd hex", `{"txid":"` + id.String() + `","hex":"00f"}`, "", false, false},
		{"escaped hex", `{"txid":"` + id.String() + `","hex":"00\u0066f"}`, "", false, false},
		{"hex not a string", `{"txid":"` + id.String() + `","hex":12}`, "", false, false},
		{"not an object", `"00ff"`, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hex, conf, ok := parseVerboseTx(json.RawMessage(tc.in), id)
			if string(hex) != tc.hex || conf != tc.confirmed || ok != tc.ok {
				t.Errorf("got %s %v %v, want %s %v %v", hex, conf, ok, tc.hex, tc.confirmed, tc.ok)
			}
		})
	}
}
