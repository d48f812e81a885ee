package follow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/sdk"
)

// Mainchain is what the follower reads from the mainchain node
// (*mainchain.Client implements it).
type Mainchain interface {
	BlockCount(ctx context.Context) (int64, error)
	BlockHash(ctx context.Context, height int64) (sdk.Hash, error)
	Block(ctx context.Context, hash sdk.Hash) (mainchain.Block, error)
}

// Store is the part of *store.Store the follower writes.
type Store interface {
	Cursor() (store.Block, bool, error)
	Connect(store.Block) error
	Disconnect(height int64, hash sdk.Hash) error
}

// Options configures a Follower.
type Options struct {
	Sidechain   uint8 // the sidechain number whose accepts are recorded
	StartHeight int64 // first mainchain height read
	// PollInterval is Run's wait between two syncs; default 5s.
	PollInterval time.Duration
	// SyncTimeout bounds one Sync inside Run; default 2m. A sync cut short
	// resumes where it stopped.
	SyncTimeout time.Duration
	Logger      *slog.Logger // nil: discard
}

// Follower follows the mainchain into a Store.
type Follower struct {
	main Mainchain
	st   Store
	opts Options
	log  *slog.Logger
	kick chan struct{}
}

// New returns a Follower.
func New(main Mainchain, st Store, opts Options) *Follower {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = 2 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Follower{main: main, st: st, opts: opts, log: log, kick: make(chan struct{}, 1)}
}

// Result says what one Sync did.
type Result struct {
	Connected    int   // blocks added
	Disconnected int   // blocks undone (reorg)
	Height       int64 // cursor height afterwards; StartHeight-1 when empty
}

// Sync follows the mainchain up to its current tip. It returns what it
// did so far together with an error if a call fails.
func (f *Follower) Sync(ctx context.Context) (Result, error) {
	var res Result
	res.Height = f.opts.StartHeight - 1
	count, err := f.main.BlockCount(ctx)
	if err != nil {
		return res, fmt.Errorf("getblockcount: %w", err)
	}
	verified := false // the cursor was checked against the best chain
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		cur, ok, err := f.st.Cursor()
		if err != nil {
			return res, err
		}
		next := f.opts.StartHeight
		if ok {
			res.Height = cur.Height
			if !verified {
				onChain, err := f.onBestChain(ctx, cur, count)
				if err != nil {
					return res, err
				}
				if !onChain {
					if err := f.disconnect(cur, &res); err != nil {
						return res, err
					}
					continue
				}
				verified = true
			}
			if cur.Height >= count {
				// Caught up with the count read so far: read it again.
				if count, err = f.main.BlockCount(ctx); err != nil {
					return res, fmt.Errorf("getblockcount: %w", err)
				}
				if cur.Height >= count {
					verified = false // a shorter best chain is checked once more
					if cur.Height == count {
						return res, nil
					}
					continue
				}
			}
			next = cur.Height + 1
		} else if next > count {
			if count, err = f.main.BlockCount(ctx); err != nil || next > count {
				return res, err
			}
		}
		hash, err := f.main.BlockHash(ctx, next)
		if err != nil {
			return res, fmt.Errorf("getblockhash %d: %w", next, err)
		}
		blk, err := f.main.Block(ctx, hash)
		if err != nil {
			return res, fmt.Errorf("getblock %s: %w", hash, err)
		}
		prev := sdk.Hash(blk.Header.PrevBlock)
		if ok && prev != cur.Hash {
			// The best chain changed between our reads: undo and retry.
			if err := f.disconnect(cur, &res); err != nil {
				return res, err
			}
			verified = false
			continue
		}
		rec := store.Block{Height: next, Hash: hash, Prev: prev}
		for _, a := range bip301.ForSidechain(blk.Transactions[0], f.opts.Sidechain) {
			rec.Accepts = append(rec.Accepts, store.Accept{HStar: sdk.Hash(a.HStar), Vout: a.Vout})
		}
		if err := f.st.Connect(rec); err != nil {
			return res, err
		}
		res.Connected++
		res.Height = next
		if len(rec.Accepts) > 0 {
			f.log.Debug("bmm: mainchain block with BMM accepts", "height", next, "hash", hash, "accepts", len(rec.Accepts))
		}
	}
}

// onBestChain reports whether the cursor block is still the best-chain
// block at its height.
func (f *Follower) onBestChain(ctx context.Context, cur store.Block, count int64) (bool, error) {
	if cur.Height > count {
		return false, nil
	}
	h, err := f.main.BlockHash(ctx, cur.Height)
	if err != nil {
		return false, fmt.Errorf("getblockhash %d: %w", cur.Height, err)
	}
	return h == cur.Hash, nil
}

func (f *Follower) disconnect(cur store.Block, res *Result) error {
	if err := f.st.Disconnect(cur.Height, cur.Hash); err != nil {
		return err
	}
	res.Disconnected++
	res.Height = cur.Height - 1
	f.log.Info("bmm: mainchain reorg: undid block", "height", cur.Height, "hash", cur.Hash, "accepts", len(cur.Accepts))
	return nil
}

// Kick asks a running Run to sync now instead of at the next poll.
func (f *Follower) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run syncs every PollInterval (or on Kick) until ctx ends, logging
// failures, and returns ctx.Err().
func (f *Follower) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-f.kick:
		}
		sctx, cancel := context.WithTimeout(ctx, f.opts.SyncTimeout)
		res, err := f.Sync(sctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				f.log.Warn("bmm: following the mainchain failed; retrying", "err", err, "height", res.Height)
			}
			failing = true
		case err == nil && failing:
			f.log.Info("bmm: following the mainchain again", "height", res.Height)
			failing = false
		}
		if res.Connected > 0 || res.Disconnected > 0 {
			f.log.Info("bmm: followed the mainchain", "height", res.Height, "connected", res.Connected, "disconnected", res.Disconnected)
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(f.opts.PollInterval)
	}
}
