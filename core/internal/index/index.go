package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// Index is the chain index. Queries may run concurrently with Run.
type Index struct {
	st         store.Store
	chain      Chain
	genesis    sdk.Hash
	log        *slog.Logger
	opts       Options
	reorgLimit int

	// procMu serialises the block processor, mempool rounds and ForceReorg,
	// and therefore Notify calls.
	procMu sync.Mutex

	mu     sync.RWMutex // guards tip and the fields below
	tip    state
	header []byte
	errMsg string
	halted bool

	daemonHeight atomic.Int64
	reorgs       atomic.Int64
	commits      atomic.Int64 // store commits (admin db_flush_count)
	caughtUp     bool         // processor-only
	// reorgTouched collects what a reorg touched until the index has
	// reached the daemon's tip again (processor-only): the reorg is
	// notified once, for its final state (reorgNotify).
	reorgTouched   touchSet
	meter          syncMeter
	now            func() time.Time
	lastMempoolLog time.Time // processor-only
	synced         chan struct{}
	syncedOnce     sync.Once

	mp   *mempool
	hist histogramCache
	// qc holds query answers until the next commit (qcache.go); every
	// store write of the index goes through qc.writeStore.
	qc queryCache

	// Chain-event hints (watch.go).
	wake               chan struct{}
	mempoolWakePending atomic.Bool
	mempoolWokeAt      atomic.Int64 // unix ns of the last mempool-event wake
	chainEvents        atomic.Int64
}

// Open loads the index state from opts.Store. Every commit is atomic, so
// there is nothing to repair after a crash: the state is the last commit.
func Open(ctx context.Context, opts Options) (*Index, error) {
	if opts.Store == nil || opts.Chain == nil {
		return nil, errors.New("index: Store and Chain are required")
	}
	if opts.ReorgLimit <= 0 {
		opts.ReorgLimit = 200
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.HistogramRefresh <= 0 {
		opts.HistogramRefresh = 120 * time.Second
	}
	if opts.HistogramBinSize <= 0 {
		opts.HistogramBinSize = 30000
	}
	if opts.SyncCacheBytes <= 0 {
		opts.SyncCacheBytes = DefaultSyncCacheBytes
	}
	if opts.FetchBlocks <= 0 {
		opts.FetchBlocks = 200
	}
	if opts.PrefetchBytes <= 0 {
		opts.PrefetchBytes = 64 << 20
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ix := &Index{
		st: opts.Store, chain: opts.Chain, genesis: opts.Genesis, log: opts.Logger,
		opts: opts, reorgLimit: opts.ReorgLimit, synced: make(chan struct{}), mp: newMempool(),
		wake: make(chan struct{}, 1), now: time.Now,
	}
	ix.tip.height = -1
	ix.daemonHeight.Store(-1)
	err := ix.st.View(ctx, func(tx store.Tx) error {
		raw, err := tx.Get([]byte(stateKeyStr))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if ix.tip, err = decodeState(raw, ix.genesis); err != nil {
			return err
		}
		if ix.tip.height >= 0 {
			if ix.header, err = tx.Get(heightKey(pHeader, ix.tip.height)); err != nil {
				return fmt.Errorf("tip header %d: %w", ix.tip.height, err)
			}
			if headerHash(ix.header) != ix.tip.tip {
				return fmt.Errorf("tip header %d does not match the state's tip hash", ix.tip.height)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index: open: %w", err)
	}
	if err := ix.pruneUndo(ctx); err != nil {
		return nil, fmt.Errorf("index: open: %w", err)
	}
	ix.log.Info("index opened", "height", ix.tip.height, "tip", ix.tip.tip.String(), "tx_count", ix.tip.txCount)
	return ix, nil
}

// Synced is closed once the index has caught up with the daemon and the
// first mempool round has completed.
func (ix *Index) Synced() <-chan struct{} { return ix.synced }

// Tip returns the indexed tip (-1 and zero values before genesis).
func (ix *Index) Tip() (height int64, hash sdk.Hash, header []byte) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.tip.height, ix.tip.tip, ix.header
}

func (ix *Index) state() state {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.tip
}

// setState publishes a committed state.
func (ix *Index) setState(st state, header []byte) {
	ix.mu.Lock()
	ix.tip, ix.header = st, header
	ix.mu.Unlock()
}

func (ix *Index) halt(err error) {
	ix.log.Error("index stopped following the chain", "err", err)
	ix.mu.Lock()
	ix.halted, ix.errMsg = true, err.Error()
	ix.mu.Unlock()
	// A halted index still answers from its last consistent state: let the
	// server open its client services (a restart during a refused reorg).
	ix.syncedOnce.Do(func() { close(ix.synced) })
}

func (ix *Index) setErr(err error) {
	ix.mu.Lock()
	if err == nil {
		ix.errMsg = ""
	} else if !ix.halted {
		ix.errMsg = err.Error()
	}
	ix.mu.Unlock()
}

// Status reports progress.
func (ix *Index) Status() Status {
	ntx, nbytes := ix.mp.stats()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Status{
		DBHeight: ix.tip.height, DBTip: ix.tip.tip, DaemonHeight: ix.daemonHeight.Load(),
		TxCount: ix.tip.txCount, MempoolTxs: ntx, MempoolBytes: nbytes, ReorgLimit: ix.reorgLimit,
		Reorgs: ix.reorgs.Load(), Commits: ix.commits.Load(), ChainEvents: ix.chainEvents.Load(), Halted: ix.halted, Error: ix.errMsg,
	}
	select {
	case <-ix.synced:
		s.Synced = true
	default:
	}
	s.Sync = ix.meter.progress(ix.now(), s.DBHeight, s.DaemonHeight)
	return s
}

// pruneUndo deletes undo records at or below tip − ReorgLimit (left behind
// when ReorgLimit was lowered between runs).
func (ix *Index) pruneUndo(ctx context.Context) error {
	limit := ix.tip.height - int64(ix.reorgLimit)
	if limit < 1 {
		return nil
	}
	var old [][]byte
	err := ix.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan([]byte{pUndo}, nil, func(k, _ []byte) bool {
			if int64(binary.BigEndian.Uint32(k[1:])) > limit {
				return false
			}
			old = append(old, append([]byte(nil), k...))
			return true
		})
	})
	if err != nil || len(old) == 0 {
		return err
	}
	// Undo rows only: no script's answers change.
	return ix.qc.writeStore(touchSet{}, func() error { return ix.pruneRows(ctx, old) })
}

// pruneRows deletes the keys old in one commit.
func (ix *Index) pruneRows(ctx context.Context, old [][]byte) error {
	return ix.st.Update(ctx, func(tx store.RWTx) error {
		for _, k := range old {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close waits for an in-flight commit to finish. It does not close the
// store (the caller opened it) and does not stop Run (cancel its context).
func (ix *Index) Close() error {
	ix.procMu.Lock()
	defer ix.procMu.Unlock()
	return nil
}
