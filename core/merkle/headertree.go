package merkle

import (
	"context"
	"fmt"
	"sync"

	"github.com/amber-electrum/amber/sdk"
)

// chunkSplit is log2 of the leaves per cached chunk of the header tree.
const chunkSplit = 10

// FetchHashes returns the block hashes of heights start..start+count-1.
type FetchHashes func(ctx context.Context, start int64, count int) ([]sdk.Hash, error)

// HeaderTree answers checkpoint proofs (docs/protocol.md, Checkpoint proofs) without reading
// every block hash up to cp_height each time: it caches the roots of the
// complete 1024-leaf chunks of the block-hash tree, so a proof reads at most
// two chunks of hashes. Chunk roots never change unless the chain
// reorganises: call Truncate (or Reset) then. The zero value is ready; it is
// safe for concurrent use.
type HeaderTree struct {
	mu    sync.Mutex
	gen   uint64
	roots []sdk.Hash // roots[k] = root of block hashes k<<chunkSplit .. (k+1)<<chunkSplit - 1
}

// Proof returns the branch and root proving the block hash at height
// against the tree of heights 0..cpHeight.
func (t *HeaderTree) Proof(ctx context.Context, fetch FetchHashes, height, cpHeight int64) ([]sdk.Hash, sdk.Hash, error) {
	if height < 0 || height > cpHeight {
		return nil, sdk.Hash{}, fmt.Errorf("merkle: header height %d not in 0..%d", height, cpHeight)
	}
	n := cpHeight + 1
	depth := Depth(int(n))
	if depth <= chunkSplit {
		hs, err := fetchExact(ctx, fetch, 0, int(n))
		if err != nil {
			return nil, sdk.Hash{}, err
		}
		br, root := Branch(hs, int(height))
		return br, root, nil
	}
	const size = 1 << chunkSplit
	full := int(n / size)
	roots, err := t.chunkRoots(ctx, fetch, full)
	if err != nil {
		return nil, sdk.Hash{}, err
	}
	row := append(make([]sdk.Hash, 0, full+1), roots...)
	var partial []sdk.Hash
	if rest := int(n % size); rest > 0 {
		if partial, err = fetchExact(ctx, fetch, int64(full)*size, rest); err != nil {
			return nil, sdk.Hash{}, err
		}
		_, r := branchDepth(partial, 0, chunkSplit)
		row = append(row, r)
	}
	c := int(height / size)
	leaves := partial
	if c < full {
		if leaves, err = fetchExact(ctx, fetch, int64(c)*size, size); err != nil {
			return nil, sdk.Hash{}, err
		}
	}
	lower, _ := branchDepth(leaves, int(height)-c*size, chunkSplit)
	upper, root := branchDepth(row, c, depth-chunkSplit)
	return append(lower, upper...), root, nil
}

// chunkRoots returns the roots of the first full chunks, computing and
// caching the missing ones.
func (t *HeaderTree) chunkRoots(ctx context.Context, fetch FetchHashes, full int) ([]sdk.Hash, error) {
	t.mu.Lock()
	have, gen := append([]sdk.Hash(nil), t.roots[:min(full, len(t.roots))]...), t.gen
	t.mu.Unlock()
	const size = 1 << chunkSplit
	for k := len(have); k < full; k++ {
		hs, err := fetchExact(ctx, fetch, int64(k)*size, size)
		if err != nil {
			return nil, err
		}
		_, r := branchDepth(hs, 0, chunkSplit)
		have = append(have, r)
	}
	t.mu.Lock()
	if t.gen == gen && len(have) > len(t.roots) {
		t.roots = append(t.roots[:0:0], have...)
	}
	t.mu.Unlock()
	return have, nil
}

// Truncate forgets every chunk that contains a height >= height (call it
// with the fork height after a reorg).
func (t *HeaderTree) Truncate(height int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	keep := max(0, int(height>>chunkSplit))
	if keep < len(t.roots) {
		t.roots = t.roots[:keep]
	}
}

// Reset forgets every cached chunk.
func (t *HeaderTree) Reset() { t.Truncate(0) }

func fetchExact(ctx context.Context, fetch FetchHashes, start int64, count int) ([]sdk.Hash, error) {
	hs, err := fetch(ctx, start, count)
	if err != nil {
		return nil, fmt.Errorf("merkle: block hashes %d+%d: %w", start, count, err)
	}
	if len(hs) != count {
		return nil, fmt.Errorf("merkle: block hashes %d+%d: got %d", start, count, len(hs))
	}
	return hs, nil
}
