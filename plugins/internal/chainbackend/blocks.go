package chainbackend

import (
	"context"
	"errors"
	"math"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// hashChunk is the number of getblockhash calls per batch in BlockHashes.
const hashChunk = 1000

// pastTip reports whether a getblockhash error means "height above the
// tip": Core answers -8, btcd -1 "Block number out of range".
func pastTip(e *sdk.Error) bool {
	return e.DaemonCode == -8 || (e.DaemonCode == -1 && e.DaemonMessage == "Block number out of range")
}

// blockHashes fetches up to count hashes from start in one batch; it stops at
// the first height past the tip.
func blockHashes(ctx context.Context, c *daemonrpc.Client, start int64, count int) ([]sdk.Hash, error) {
	params := make([][]any, count)
	for i := range params {
		params[i] = []any{start + int64(i)}
	}
	reps, err := c.BatchSame(ctx, "getblockhash", params)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Hash, 0, count)
	for _, r := range reps {
		if r.Err != nil {
			if pastTip(r.Err) {
				break
			}
			return nil, r.Err
		}
		h, err := parseHashJSON(r.Result)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func checkRange(start int64, count int) error {
	if start < 0 || count < 0 {
		return sdk.Errorf(sdk.KindInvalidArgument, "bad block range start %d count %d", start, count)
	}
	return nil
}

// BlockHashes returns up to count hashes from start (fewer at the tip).
func (b *Backend) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	if err := checkRange(start, count); err != nil {
		return nil, err
	}
	c, _, err := b.conn()
	if err != nil {
		return nil, err
	}
	var out []sdk.Hash
	for count > 0 {
		n := min(count, hashChunk)
		hs, err := blockHashes(ctx, c, start, n)
		if err != nil {
			return nil, err
		}
		out = append(out, hs...)
		if len(hs) < n {
			break
		}
		start, count = start+int64(n), count-n
	}
	return out, nil
}

// chunk is one fetched batch of blocks, or the error that ended fetching.
type chunk struct {
	blocks []sdk.Block
	bytes  int64
	err    error
}

// windowSlots is the number of batches the fetch window holds: the one being
// yielded, windowSlots-2 waiting and the one being fetched.
const windowSlots = 4

// Blocks streams up to count blocks from start: getblockhash then getblock
// (verbosity 0) batches, the next batches fetched while yield consumes the
// current one. Each block's hash is checked against the hash it was asked
// for.
//
// Memory: the blocks held (the batch being yielded, the batches waiting and
// the one being decoded) total at most fetch_window bytes: each batch holds
// at most a quarter of it (windowSlots), except that a batch always holds at
// least one block however large (see package daemonrpc, BatchHex). The
// blocks per batch follow the sizes seen (a quarter of the window over the
// largest block of the last batch, at most batch_size); the window is a
// bound in bytes whatever the block sizes.
func (b *Backend) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	if err := checkRange(start, count); err != nil {
		return err
	}
	c, cfg, err := b.conn()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	part := max(cfg.FetchWindow/windowSlots, 1)
	ch := make(chan chunk, windowSlots-2)
	go func() {
		defer close(ch)
		for count > 0 {
			n := min(count, b.perBatch(part, cfg.BatchSize))
			blocks, asked, err := fetchBlocks(ctx, c, start, n, part)
			// Sizes are read before the send: from then on the
			// consumer owns (and clears) the blocks.
			var size, big int64
			for _, blk := range blocks {
				size += int64(len(blk.Raw))
				big = max(big, int64(len(blk.Raw)))
			}
			b.held.add(size)
			select {
			case ch <- chunk{blocks, size, err}:
			case <-ctx.Done():
				b.held.add(-size)
				return
			}
			if err != nil || asked == 0 || (asked < n && len(blocks) == asked) {
				return
			}
			b.learn(len(blocks), big)
			start, count = start+int64(len(blocks)), count-len(blocks)
		}
	}()
	defer func() {
		cancel() // stop the fetcher first (it may be sending on ch)
		for got := range ch {
			b.held.add(-got.bytes)
		}
	}()
	for got := range ch {
		if got.err != nil {
			b.held.add(-got.bytes)
			return got.err
		}
		for i, blk := range got.blocks {
			err := yield(blk)
			got.blocks[i] = sdk.Block{}
			n := int64(len(blk.Raw))
			b.held.add(-n)
			got.bytes -= n
			if err != nil {
				b.held.add(-got.bytes)
				return err
			}
		}
	}
	return ctx.Err()
}

// perBatch is the number of blocks to ask for in one batch: the window's
// part for a batch over the largest block of the last batch, between 1 and
// batchSize. The largest rather than the mean block: a batch that overflows
// the window has its last blocks dropped (read from the daemon for nothing).
func (b *Backend) perBatch(part int64, batchSize int) int {
	big := b.bigBlock.Load()
	if big <= 0 {
		// Nothing learnt yet: assume blocks of firstGuessBlockBytes
		// rather than asking for batch_size blocks that may be read
		// and dropped.
		big = firstGuessBlockBytes
	}
	return int(min(max(part/big, 1), int64(batchSize)))
}

// firstGuessBlockBytes is the block size perBatch assumes before it has
// seen one: Bitcoin's largest possible block.
const firstGuessBlockBytes = 4 << 20

// learn records the largest block (big bytes) of a fetched batch of n
// blocks.
func (b *Backend) learn(n int, big int64) {
	if n == 0 {
		b.bigBlock.Store(math.MaxInt64 / 2) // nothing fitted: one block next
		return
	}
	b.bigBlock.Store(max(big, 1))
}

// heldBytes counts the bytes of fetched blocks that Blocks holds and keeps
// their peak (for the tests of the window).
type heldBytes struct {
	now, peak atomic.Int64
}

func (h *heldBytes) add(n int64) {
	v := h.now.Add(n)
	for {
		p := h.peak.Load()
		if v <= p || h.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// fetchBlocks fetches the blocks at heights start..start+n-1 (fewer at the
// tip: asked is the number of heights that exist), keeping at most limit
// bytes of them (at least one block): the blocks returned are the longest
// run from start that fitted.
func fetchBlocks(ctx context.Context, c *daemonrpc.Client, start int64, n int, limit int64) (blocks []sdk.Block, asked int, err error) {
	hashes, err := blockHashes(ctx, c, start, n)
	if err != nil || len(hashes) == 0 {
		return nil, 0, err
	}
	params := make([][]any, len(hashes))
	for i, h := range hashes {
		params[i] = []any{h.String(), 0}
	}
	reps, err := c.BatchHex(ctx, "getblock", params, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]sdk.Block, 0, len(hashes))
	for i, r := range reps {
		height := start + int64(i)
		if r.Err != nil {
			if r.Err.Kind == sdk.KindDaemon {
				return nil, 0, r.Err
			}
			return nil, 0, sdk.Errorf(sdk.KindInternal, "getblock at height %d: %w", height, r.Err)
		}
		if r.Dropped {
			break
		}
		if err := checkBlockHash(r.Raw, hashes[i]); err != nil {
			return nil, 0, sdk.Errorf(sdk.KindInternal, "getblock at height %d: %w", height, err)
		}
		out = append(out, sdk.Block{Height: height, Hash: hashes[i], Raw: r.Raw})
	}
	return out, len(hashes), nil
}

var errShortBlock = errors.New("block shorter than a header")

// checkBlockHash checks that the double SHA-256 of raw's 80-byte header is
// want.
func checkBlockHash(raw []byte, want sdk.Hash) error {
	if len(raw) < 80 {
		return errShortBlock
	}
	if got := merkle.DoubleSHA256(raw[:80]); got != want {
		return errors.New("block hash " + got.String() + " is not the hash asked for " + want.String())
	}
	return nil
}
