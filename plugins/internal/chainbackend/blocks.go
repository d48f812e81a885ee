package chainbackend

import (
	"context"
	"errors"

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
	err    error
}

// Blocks streams up to count blocks from start: getblockhash then getblock
// (verbosity 0) batches of batch_size, the next batch fetched while yield
// consumes the current one. Each block's hash is checked against the hash it
// was asked for.
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
	ch := make(chan chunk, 1)
	go func() {
		defer close(ch)
		for count > 0 {
			n := min(count, cfg.BatchSize)
			blocks, err := fetchBlocks(ctx, c, start, n)
			select {
			case ch <- chunk{blocks, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(blocks) < n {
				return
			}
			start, count = start+int64(n), count-n
		}
	}()
	for got := range ch {
		if got.err != nil {
			return got.err
		}
		for _, blk := range got.blocks {
			if err := yield(blk); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// fetchBlocks fetches the blocks at heights start..start+n-1 (fewer at the
// tip).
func fetchBlocks(ctx context.Context, c *daemonrpc.Client, start int64, n int) ([]sdk.Block, error) {
	hashes, err := blockHashes(ctx, c, start, n)
	if err != nil || len(hashes) == 0 {
		return nil, err
	}
	params := make([][]any, len(hashes))
	for i, h := range hashes {
		params[i] = []any{h.String(), 0}
	}
	reps, err := c.BatchSame(ctx, "getblock", params)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Block, len(hashes))
	for i, r := range reps {
		height := start + int64(i)
		if r.Err != nil {
			return nil, r.Err
		}
		raw, err := decodeHexJSON(r.Result)
		if err != nil {
			return nil, sdk.Errorf(sdk.KindInternal, "getblock at height %d: %w", height, err)
		}
		if err := checkBlockHash(raw, hashes[i]); err != nil {
			return nil, sdk.Errorf(sdk.KindInternal, "getblock at height %d: %w", height, err)
		}
		out[i] = sdk.Block{Height: height, Hash: hashes[i], Raw: raw}
	}
	return out, nil
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
