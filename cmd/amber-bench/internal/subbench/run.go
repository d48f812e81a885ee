package subbench

import (
	"context"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
)

// Config is one subscribe run.
type Config struct {
	Server  string // amberd Electrum TCP, 127.0.0.1:port
	RPC     string // amberd admin RPC (for its pid), unless PID is set
	PID     int
	Metrics string // amberd metrics endpoint host:port (optional)
	Node    Node   // the daemon behind amberd

	Sessions, Subs int
	Seed           int64
	KeyOffset      int // < 0: AutoOffset
	ConnectConc    int
	ConnectRate    float64
	ReqTimeout     time.Duration
	Idle           time.Duration // before the second RSS reading
	Blocks         int
	Timeout        time.Duration // bound of each event's wait
	Amount         int64         // sat per funded output
	PerTx          int           // outputs per funding tx
	FeeRate        float64       // sat/vB
	NoFile         uint64        // reported as is
	Status         *load.Status
	Logf           func(format string, args ...any) // progress lines (may be nil)
}

func (c *Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// Run connects the sessions, measures memory, then the mempool event and
// the block events. Sessions that fail to set up or miss notifications are
// reported, not errors; Run fails when nothing can be measured.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Sessions <= 0 || cfg.Subs <= 0 {
		return nil, fmt.Errorf("subscribe: %d sessions x %d subscriptions", cfg.Sessions, cfg.Subs)
	}
	rep := &Report{Command: "subscribe", Date: time.Now().UTC(), Sessions: cfg.Sessions, SubsPerSession: cfg.Subs,
		Server: cfg.Server, Seed: cfg.Seed, NoFile: cfg.NoFile}
	tip, err := cfg.Node.GetBlockCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	rep.Height = tip
	n := cfg.Sessions * cfg.Subs
	rep.KeyOffset = cfg.KeyOffset
	if rep.KeyOffset < 0 {
		if rep.KeyOffset, err = FreshOffset(ctx, cfg.Seed, AutoOffset(tip, n), n, HasHistory(cfg.Server)); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	flat, err := DeriveScripts(cfg.Seed, rep.KeyOffset, n)
	if err != nil {
		return nil, err
	}
	scripts := make([][]Script, cfg.Sessions)
	for i := range scripts {
		scripts[i] = flat[i*cfg.Subs : (i+1)*cfg.Subs : (i+1)*cfg.Subs]
	}
	cfg.logf("derived %d scripts (key offset %d) in %v", n, rep.KeyOffset, time.Since(start).Round(time.Millisecond))

	// The funding transactions are signed before the sessions connect, so
	// a wallet without funds fails the run early.
	funded := func(i int) Script { return scripts[i][i%cfg.Subs] }
	outs := make([]*wire.TxOut, cfg.Sessions)
	for i := range outs {
		outs[i] = wire.NewTxOut(cfg.Amount, funded(i).PkScript)
	}
	txs, unconfirmed, mined, err := Fund(ctx, cfg.Node, cfg.Seed, outs, cfg.PerTx, cfg.FeeRate)
	if err != nil {
		return nil, err
	}
	if mined > 0 {
		cfg.logf("the wallet had no spendable coins: mined %d blocks", mined)
		if tip, err = cfg.Node.GetBlockCount(ctx); err != nil {
			return nil, err
		}
	}
	rep.SetupBlocks, rep.Height = mined, tip
	if err := WaitTip(ctx, cfg.Server, tip, cfg.Timeout); err != nil {
		return nil, err
	}
	rep.Funding = Funding{Txs: len(txs), Outputs: len(outs), Amount: cfg.Amount, FeeRate: cfg.FeeRate}
	for _, tx := range txs {
		rep.Funding.VSize += regtest.VSize(tx)
	}
	memStatus, fundTx := fundingStatuses(txs, unconfirmed)

	if cfg.PID == 0 {
		if cfg.PID, err = AmberdPID(ctx, cfg.RPC); err != nil {
			return nil, err
		}
	}
	rep.AmberdPID = cfg.PID
	before, err := procstat.Read(cfg.PID)
	if err != nil {
		return nil, err
	}
	rep.Memory.BeforeRSS = before.RSS
	if cfg.Metrics != "" {
		if v, err := ScrapeMetric(ctx, cfg.Metrics, HeapInuseMetric); err == nil {
			rep.Memory.HeapInuseBefore = int64(v)
		} else {
			cfg.logf("%v", err)
		}
	}

	book := NewBook(cfg.Sessions)
	cfg.logf("connecting %d sessions to %s", cfg.Sessions, cfg.Server)
	start = time.Now()
	sessions, err := Connect(ctx, ConnectOptions{Addr: cfg.Server, Scripts: scripts, Concurrency: cfg.ConnectConc,
		Rate: cfg.ConnectRate, Timeout: cfg.ReqTimeout, Book: book, Progress: func(ok, failed int) {
			cfg.Status.Printf("sessions: %d/%d subscribed, %d failed, %.1f s", ok, cfg.Sessions, failed, time.Since(start).Seconds())
		}})
	rep.ConnectElapsed = time.Since(start)
	cfg.Status.Done()
	if err != nil {
		return nil, err
	}
	defer CloseAll(sessions)
	live := make([]bool, cfg.Sessions)
	for i, s := range sessions {
		if s.Err != nil {
			rep.Failed++
			if rep.FirstError == "" {
				rep.FirstError = s.Err.Error()
			}
			continue
		}
		live[i] = true
		rep.Connected++
	}
	rep.ConnectPerS = float64(rep.Connected) / rep.ConnectElapsed.Seconds()
	rep.SubscribePerS = float64(rep.Connected*(cfg.Subs+2)) / rep.ConnectElapsed.Seconds()
	cfg.logf("%d sessions subscribed, %d failed, in %v", rep.Connected, rep.Failed, rep.ConnectElapsed.Round(time.Millisecond))
	if rep.Connected == 0 {
		return nil, fmt.Errorf("no session could subscribe: %s", rep.FirstError)
	}

	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(cfg.Idle):
	}
	after, err := procstat.Read(cfg.PID)
	if err != nil {
		return nil, err
	}
	rep.Memory.AfterRSS, rep.Memory.PeakRSSAfterIdle, rep.Memory.Idle = after.RSS, after.Peak, cfg.Idle
	rep.Memory.PerSession = float64(after.RSS-before.RSS) / float64(rep.Connected)
	if cfg.Metrics != "" {
		if v, err := ScrapeMetric(ctx, cfg.Metrics, HeapInuseMetric); err == nil {
			rep.Memory.HeapInuseAfter = int64(v)
			rep.Memory.HeapPerSession = float64(rep.Memory.HeapInuseAfter-rep.Memory.HeapInuseBefore) / float64(rep.Connected)
		}
	}
	cfg.logf("amberd RSS %d -> %d bytes: %.0f bytes per session", before.RSS, after.RSS, rep.Memory.PerSession)

	// Mempool event: one output to one script of every session.
	txOf := fundingIndex(txs)
	expect := func(f func(i int, sh string, tx int) []Key) func(i int) []Key {
		return func(i int) []Key {
			if !live[i] {
				return nil
			}
			sh := funded(i).Hash
			return f(i, sh, txOf[sh])
		}
	}
	ev, err := cfg.round(ctx, book, "mempool", tip, "the broadcast (one sendrawtransaction batch) returned",
		[]string{"1 blockchain.scripthash.subscribe for its funded script, with the mempool status"},
		expect(func(_ int, sh string, tx int) []Key { return []Key{ScriptKey(sh, memStatus[tx])} }),
		func(ctx context.Context) error {
			t := time.Now()
			_, err := cfg.Node.SendRawTxs(ctx, txs)
			rep.Funding.Broadcast = time.Since(t)
			return err
		})
	if err != nil {
		return nil, err
	}
	rep.Events = append(rep.Events, ev)

	for b := 1; b <= cfg.Blocks; b++ {
		h := tip + int64(b)
		what := []string{fmt.Sprintf("1 blockchain.headers.subscribe with height %d", h)}
		if b == 1 {
			what = append(what, "1 blockchain.scripthash.subscribe for its funded script, with the status confirmed at this height (the block confirms the funding)")
		}
		var hashes []sdk.Hash
		ev, err := cfg.round(ctx, book, "block", h, "`generate 1` returned", what,
			expect(func(_ int, sh string, tx int) []Key {
				keys := []Key{HeaderKey(h)}
				if b == 1 {
					keys = append(keys, ScriptKey(sh, Status([]StatusEntry{{TxID: fundTx[tx], Height: h}})))
				}
				return keys
			}),
			func(ctx context.Context) error {
				var err error
				hashes, err = cfg.Node.Generate(ctx, 1)
				return err
			})
		if err != nil {
			return nil, err
		}
		if b == 1 && len(hashes) == 1 {
			if err := checkMined(ctx, cfg.Node, hashes[0], fundTx); err != nil {
				cfg.logf("warning: %v", err)
			}
		}
		rep.Events = append(rep.Events, ev)
	}
	rep.Disconnected = Disconnected(sessions)
	rep.StrayNotes = book.Stray()
	return rep, nil
}

// round runs one event: it starts the book's round with expect, calls
// trigger, takes t0 when trigger returned and waits until every session
// got what it expects or cfg.Timeout passed.
func (cfg *Config) round(ctx context.Context, book *Book, kind string, height int64, t0what string, expects []string,
	expect func(i int) []Key, trigger func(ctx context.Context) error) (Event, error) {
	book.Start(expect)
	t := time.Now()
	if err := trigger(ctx); err != nil {
		book.Finish(time.Now())
		return Event{}, fmt.Errorf("%s event: %w", kind, err)
	}
	t0 := time.Now()
	timeout := time.NewTimer(cfg.Timeout)
	defer timeout.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	timedOut := false
wait:
	for {
		select {
		case <-book.Done():
			break wait
		case <-timeout.C:
			timedOut = true
			break wait
		case <-ctx.Done():
			book.Finish(t0)
			return Event{}, ctx.Err()
		case <-tick.C:
			cfg.Status.Printf("%s %d: %d sessions still waiting, %.1f s", kind, height, book.Remaining(), time.Since(t0).Seconds())
		}
	}
	waited := time.Since(t0)
	cfg.Status.Done()
	r := book.Finish(t0)
	ev := event(kind, height, r, t0what, t0.Sub(t), expects, waited, timedOut)
	cfg.logf("%s %d: %d/%d sessions notified, %d missing, p50 %v, last %v", kind, height, r.Notified, r.Sessions,
		len(r.Missing), ev.Latency.P50.Round(time.Microsecond), ev.Latency.Max.Round(time.Microsecond))
	return ev, nil
}

// fundingIndex maps every script hash a funding transaction pays to the
// transaction's index.
func fundingIndex(txs []*wire.MsgTx) map[string]int {
	m := map[string]int{}
	for i, tx := range txs {
		for _, o := range tx.TxOut {
			m[ScriptHash(o.PkScript)] = i
		}
	}
	return m
}

// checkMined reports funding transactions missing from block hash.
func checkMined(ctx context.Context, node Node, hash sdk.Hash, txids []string) error {
	bs, err := node.GetBlocks(ctx, []sdk.Hash{hash})
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, tx := range bs[0].Transactions {
		in[sdk.Hash(tx.TxHash()).String()] = true
	}
	for _, id := range txids {
		if !in[id] {
			return fmt.Errorf("funding tx %s is not in the first block: its sessions will miss their confirmation notification", id)
		}
	}
	return nil
}

// fundingStatuses returns, per funding transaction, the Electrum status its
// funded scripts have while it is in the mempool (height -1 if it spends an
// unconfirmed output, else 0), and the txid of each.
func fundingStatuses(txs []*wire.MsgTx, unconfirmed []sdk.Hash) ([]*string, []string) {
	pool := map[sdk.Hash]bool{}
	for _, h := range unconfirmed {
		pool[h] = true
	}
	sts := make([]*string, len(txs))
	ids := make([]string, len(txs))
	for i, tx := range txs {
		h := int64(0)
		for _, in := range tx.TxIn {
			if pool[sdk.Hash(in.PreviousOutPoint.Hash)] {
				h = -1
			}
		}
		id := sdk.Hash(tx.TxHash())
		pool[id] = true
		ids[i] = id.String()
		sts[i] = Status([]StatusEntry{{TxID: ids[i], Height: h}})
	}
	return sts, ids
}
