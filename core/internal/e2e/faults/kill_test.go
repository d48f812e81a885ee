package faults

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/regtest"
)

// killNow kills amberd with SIGKILL and logs where it was: its db and
// daemon heights (admin getinfo just before the kill, if it answered) and
// whether its Electrum service was already open.
func killNow(t *testing.T, a *harness.Amberd, round int, how string) {
	t.Helper()
	where := "db height unknown"
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	if gi, err := getinfo(ctx, a.RPCAddr()); err == nil {
		where = "db height " + strconv.FormatInt(gi.DBHeight, 10) + " of " + strconv.FormatInt(gi.DaemonHeight, 10)
	}
	cancel()
	served := false
	if c, err := harness.DialContext(context.Background(), a.TCPAddr()); err == nil {
		served = true
		c.Close()
	}
	a.Kill()
	t.Logf("kill %d: SIGKILL %s, %s, Electrum service open: %v", round, how, where, served)
}

// waitDBHeight polls admin getinfo until amberd's db height reaches h, its
// Electrum service opens, or ctx ends.
func waitDBHeight(ctx context.Context, a *harness.Amberd, h int64) {
	for ctx.Err() == nil {
		gctx, cancel := context.WithTimeout(ctx, time.Second)
		gi, err := getinfo(gctx, a.RPCAddr())
		cancel()
		if err == nil && gi.DBHeight >= h {
			return
		}
		if gi != nil && gi.Amber.Sync.Synced {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// restartAndCheck restarts amberd on its database, waits until it serves
// and has caught up with m, then checks every answer against m.
func restartAndCheck(t *testing.T, a *harness.Amberd, m *harness.Model) time.Duration {
	t.Helper()
	start := time.Now()
	if err := a.Restart(timeout(t, 3*time.Minute), true); err != nil {
		t.Fatalf("restart after kill -9: %v\n%s", err, a.Logs())
	}
	clients := dialN(t, a.TCPAddr(), 2)
	mustCatchUp(t, clients[0], m, 2*time.Minute)
	took := time.Since(start)
	checkAll(t, clients, m, nil)
	for _, c := range clients {
		c.Close()
	}
	return took
}

// TestKill9DuringSync kills amberd with SIGKILL at seeded random points
// while it indexes a chain of a few hundred blocks with transactions (the
// first round: its initial sync; later rounds: catching up with blocks
// mined while it was stopped). After every kill it restarts on the same
// database, and once caught up every answer (all script hashes, headers,
// checkpoint and transaction proofs) must equal the model.
func TestKill9DuringSync(t *testing.T) { forEngines(t, testKill9DuringSync) }

func testKill9DuringSync(t *testing.T, engine string) {
	rng := newRand(t)
	kills := perEngine(engine, size(3, 8, 20), size(2, 3, 5))
	node := harness.StartNode(t, regtest.NodeOptions{})
	w := newWallet(81)
	spec := regtest.Spec{Blocks: size(220, 320, 600), TxPerBlock: size(6, 10, 20), Scripts: 80, SameBlockSpends: true, MempoolTxs: 6, Types: payableTypes}
	generate(t, node, w, spec)
	m := buildModel(t, node)
	// A daemon 30 ms away: the sync then commits in several batches, so
	// that kills land between and inside them.
	proxy, err := StartProxy(timeout(t, 10*time.Second), node.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	proxy.SetDelay(30 * time.Millisecond)
	if err := proxy.SetMode(timeout(t, 10*time.Second), Slow); err != nil {
		t.Fatal(err)
	}
	// db_bulk_load_kb 1: pebble ingests this small chain's sync batches
	// as sorted tables (store.BulkLoader) as it does a large chain's, so
	// that the kills land in bulk loads too.
	a := harness.StartAmberd(t, harness.AmberdOptions{Engine: engine, DaemonURL: proxy.URL(node.URL()), DBDir: filepath.Join(t.TempDir(), "db"),
		Env: map[string]string{"AMBER_DB_BULK_LOAD_KB": "1"}})
	// The kill window is the last start-to-caught-up time seen, so that
	// kills land during the sync and sometimes just after it.
	window := 3 * time.Second
	from := int64(0) // the db height this round starts from
	for round := 1; round <= kills; round++ {
		if round > 1 {
			a.Stop()
			spec.Blocks, spec.MempoolTxs = size(40, 80, 100), 3
			generate(t, node, w, spec)
			m = buildModel(t, node)
			if err := a.Restart(timeout(t, time.Minute), false); err != nil {
				t.Fatal(err)
			}
		}
		// Two kills in three wait for a random db height in the blocks
		// still to index (between batch commits); the others come after a
		// random delay (start-up, or in the middle of a commit).
		if rng.IntN(3) > 0 {
			target := from + 1 + rng.Int64N(m.Tip()-from)
			waitDBHeight(timeout(t, time.Minute), a, target)
			killNow(t, a, round, "at db height >= "+strconv.FormatInt(target, 10))
		} else {
			d := time.Duration(rng.Int64N(int64(window)))
			time.Sleep(d)
			killNow(t, a, round, d.Round(time.Millisecond).String()+" after start")
		}
		from = m.Tip()
		took := restartAndCheck(t, a, m)
		window = max(took*6/5, 200*time.Millisecond)
		if t.Failed() {
			t.FailNow()
		}
	}
	if engine == store.EnginePebble && !strings.Contains(a.AllLogs(), store.BulkLoadLogLine) {
		t.Errorf("no amberd logged %q: the kills never met a bulk load", store.BulkLoadLogLine)
	}
}

// churn sends transactions with a regtest wallet and mines a block every
// few of them until stopped. Stopping waits for the operation under way,
// so that the wallet never misses a transaction the node accepted.
type churn struct {
	stopped atomic.Bool
	done    chan struct{}
	err     error
	txs     int
	blocks  int
}

func startChurn(node *regtest.Node, w *regtest.Wallet, seed uint64) *churn {
	c := &churn{done: make(chan struct{})}
	rng := rand.New(rand.NewPCG(seed, 1))
	go func() {
		defer close(c.done)
		for !c.stopped.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := payNew(ctx, node, w, 100+rng.IntN(40), 1+rng.IntN(3))
			if err == nil {
				c.txs++
				if rng.IntN(3) == 0 {
					if _, err = node.Generate(ctx, 1); err == nil {
						c.blocks++
						err = w.Sync(ctx, node)
					}
				}
			}
			cancel()
			if err != nil {
				c.err = err
				return
			}
			time.Sleep(time.Duration(10+rng.IntN(60)) * time.Millisecond)
		}
	}()
	return c
}

// stop ends the churn and returns its error, if any.
func (c *churn) stop() error {
	c.stopped.Store(true)
	<-c.done
	return c.err
}

// TestKill9SteadyState kills a caught-up amberd with SIGKILL at seeded
// random moments while a wallet keeps sending transactions and mining
// blocks (mempool churn). After each kill the churn stops, amberd restarts
// on the same database, and once caught up every answer must equal the
// model of the node's chain and mempool.
func TestKill9SteadyState(t *testing.T) { forEngines(t, testKill9SteadyState) }

func testKill9SteadyState(t *testing.T, engine string) {
	rng := newRand(t)
	kills := perEngine(engine, size(3, 8, 20), size(2, 3, 5))
	node := harness.StartNode(t, regtest.NodeOptions{})
	w := newWallet(91)
	generate(t, node, w, regtest.Spec{Blocks: size(120, 150, 250), TxPerBlock: 5, Scripts: 40, MempoolTxs: 4, Types: payableTypes})
	a := harness.StartAmberd(t, harness.AmberdOptions{Engine: engine, DaemonURL: node.URL(), WaitSynced: true,
		DBDir: filepath.Join(t.TempDir(), "db")})
	for round := 1; round <= kills; round++ {
		ch := startChurn(node, w, rng.Uint64())
		d := 200*time.Millisecond + time.Duration(rng.Int64N(int64(1800*time.Millisecond)))
		time.Sleep(d)
		killNow(t, a, round, d.Round(time.Millisecond).String()+" into the churn")
		err := ch.stop()
		if err != nil {
			t.Fatalf("churn: %v", err)
		}
		m := buildModel(t, node)
		t.Logf("churn of round %d: %d payments, %d blocks; tip %d, %d mempool txs", round, ch.txs, ch.blocks, m.Tip(), len(m.MempoolTxids()))
		restartAndCheck(t, a, m)
		if t.Failed() {
			t.FailNow()
		}
	}
}
