package follow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
	First() (store.Block, bool, error)
	Len() (blocks, entries int, err error)
	Reset() error
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
	// CallTimeout bounds each mainchain call; default 10s. A call that
	// cannot reach the node within it marks the node down (MainDown).
	CallTimeout time.Duration
	Logger      *slog.Logger // nil: discard
}

// Follower follows the mainchain into a Store.
type Follower struct {
	main Mainchain
	st   Store
	opts Options
	log  *slog.Logger
	kick chan struct{}

	mu   sync.Mutex
	down error // the last mainchain call's transport failure; nil after a success
}

// New returns a Follower.
func New(main Mainchain, st Store, opts Options) *Follower {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = 2 * time.Minute
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Follower{st: st, opts: opts, log: log, kick: make(chan struct{}, 1)}
	f.main = observed{main, f}
	return f
}

// MainDown implements proof.Health: it returns the error of the last
// mainchain call when that call could not reach the node (a transport
// failure or no answer within CallTimeout), and nil once a call got an
// answer (an error answer included: the node is up). While the node is
// down it also asks Run to poll at once, so a node that came back is
// noticed without waiting for the poll interval.
func (f *Follower) MainDown() error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down != nil {
		f.Kick()
	}
	return down
}

// observe records what a mainchain call says about the node. ctx is the
// caller's context: a call cut short by it says nothing about the node.
func (f *Follower) observe(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	var down error
	if k := sdk.KindOf(err); err != nil && (k == sdk.KindUnavailable || k == sdk.KindTimeout) {
		down = err
	}
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// observed is the Mainchain as the follower calls it: every call bounded by
// CallTimeout and its outcome recorded for MainDown.
type observed struct {
	m Mainchain
	f *Follower
}

func (o observed) BlockCount(ctx context.Context) (int64, error) {
	cctx, cancel := context.WithTimeout(ctx, o.f.opts.CallTimeout)
	defer cancel()
	n, err := o.m.BlockCount(cctx)
	o.f.observe(ctx, err)
	return n, err
}

func (o observed) BlockHash(ctx context.Context, height int64) (sdk.Hash, error) {
	cctx, cancel := context.WithTimeout(ctx, o.f.opts.CallTimeout)
	defer cancel()
	h, err := o.m.BlockHash(cctx, height)
	o.f.observe(ctx, err)
	return h, err
}

func (o observed) Block(ctx context.Context, hash sdk.Hash) (mainchain.Block, error) {
	cctx, cancel := context.WithTimeout(ctx, o.f.opts.CallTimeout)
	defer cancel()
	b, err := o.m.Block(cctx, hash)
	o.f.observe(ctx, err)
	return b, err
}

// Result says what one Sync did.
type Result struct {
	Connected    int   // blocks added
	Disconnected int   // blocks undone (reorg) or dropped (rebuild)
	Refused      int   // blocks added without their several accepts of our sidechain
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
	verified := false    // the cursor was checked against the best chain
	firstOnBest := false // the first followed block was found on the best chain
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
					rebuilt, err := f.rebuildIfReplaced(ctx, count, &res, &firstOnBest)
					if err != nil {
						return res, err
					}
					if rebuilt {
						continue
					}
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
		found := bip301.ForSidechain(blk.Transactions[0], f.opts.Sidechain)
		if len(found) == 1 {
			rec.Accepts = []store.Accept{{HStar: sdk.Hash(found[0].HStar), Vout: found[0].Vout}}
		}
		if err := f.st.Connect(rec); err != nil {
			return res, err
		}
		res.Connected++
		res.Height = next
		switch {
		case len(found) > 1:
			// As the reference enforcer (MultipleBmmBlocks): BIP301 allows
			// one Accept per sidechain per mainchain block, so a coinbase
			// with several accepts none of them.
			res.Refused++
			f.log.Warn("bmm: mainchain coinbase holds several BMM Accepts for our sidechain: none is recorded",
				"height", next, "hash", hash, "sidechain_number", f.opts.Sidechain, "accepts", len(found))
		case len(found) == 1:
			f.log.Debug("bmm: mainchain block with a BMM Accept", "height", next, "hash", hash, "h*", rec.Accepts[0].HStar)
		}
	}
}

// rebuildIfReplaced handles a cursor that left the best chain: when the
// first followed block left it too (the node restarted with a new chain, as
// btcd regtest does, or reorganised below everything followed), nothing in
// the store is on the best chain, so it is emptied in one transaction and
// following restarts at the start height instead of undoing block by block.
//
// firstOnBest spares the check during one Sync once it found the first
// block on the best chain (a reorg is then undone block by block).
func (f *Follower) rebuildIfReplaced(ctx context.Context, count int64, res *Result, firstOnBest *bool) (bool, error) {
	if *firstOnBest {
		return false, nil
	}
	first, ok, err := f.st.First()
	if err != nil || !ok {
		return false, err
	}
	onChain, err := f.onBestChain(ctx, first, count)
	if err != nil || onChain {
		*firstOnBest = onChain
		return false, err
	}
	blocks, _, err := f.st.Len()
	if err != nil {
		return false, err
	}
	if err := f.st.Reset(); err != nil {
		return false, err
	}
	res.Disconnected += blocks
	res.Height = f.opts.StartHeight - 1
	f.log.Warn("bmm: the mainchain no longer holds the first followed block (node restarted with a new chain, or a reorg below it): rebuilding the BMM index from the start height",
		"first_height", first.Height, "first_hash", first.Hash, "dropped_blocks", blocks, "node_height", count)
	return true, nil
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
