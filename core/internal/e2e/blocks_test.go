package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/sdk"
)

// merkleResult is blockchain.transaction.get_merkle's result.
type merkleResult struct {
	BlockHeight int64    `json:"block_height"`
	Merkle      []string `json:"merkle"`
	Pos         int      `json:"pos"`
}

// idFromPosResult is blockchain.transaction.id_from_pos's merkle=true result.
type idFromPosResult struct {
	TxHash string   `json:"tx_hash"`
	Merkle []string `json:"merkle"`
}

// headerProof is blockchain.block.header's result with a cp_height.
type headerProof struct {
	Header string   `json:"header"`
	Branch []string `json:"branch"`
	Root   string   `json:"root"`
}

// headersResult is blockchain.block.headers's result.
type headersResult struct {
	Hex    string   `json:"hex"`
	Count  int64    `json:"count"`
	Max    int64    `json:"max"`
	Branch []string `json:"branch,omitempty"`
	Root   string   `json:"root,omitempty"`
}

func call(ctx context.Context, c *harness.Client, v any, method string, params ...any) error {
	res, rerr := c.Call(ctx, method, params...)
	if rerr != nil {
		return fmt.Errorf("%s %v: %w", method, params, rerr)
	}
	if err := harness.DecodeStrict(res, v); err != nil {
		return fmt.Errorf("%s %v: %w", method, params, err)
	}
	return nil
}

// samplePositions returns the first, a middle and the last position of a
// block of n transactions.
func samplePositions(n int) []int {
	ps := []int{0, n / 2, n - 1}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// checkTxProofs checks get_merkle and id_from_pos (both forms) for sampled
// transactions of one block against the block header's merkle root.
func checkTxProofs(ctx context.Context, c *harness.Client, m *harness.Model, height int64) error {
	txids := m.BlockTxids(height)
	root := m.MerkleRootAt(height)
	depth := harness.MerkleDepth(len(txids))
	for _, pos := range samplePositions(len(txids)) {
		txid := txids[pos]
		var gm merkleResult
		if err := call(ctx, c, &gm, "blockchain.transaction.get_merkle", txid.String(), height); err != nil {
			return err
		}
		if gm.BlockHeight != height || gm.Pos != pos || len(gm.Merkle) != depth {
			return fmt.Errorf("get_merkle %s %d: block_height %d pos %d branch %d, want %d %d %d",
				txid, height, gm.BlockHeight, gm.Pos, len(gm.Merkle), height, pos, depth)
		}
		got, err := harness.ApplyBranch(txid, pos, gm.Merkle)
		if err != nil || got != root {
			return fmt.Errorf("get_merkle %s %d: branch gives root %s (%v), header has %s", txid, height, got, err, root)
		}
		var id string
		if err := call(ctx, c, &id, "blockchain.transaction.id_from_pos", height, pos); err != nil {
			return err
		}
		if id != txid.String() {
			return fmt.Errorf("id_from_pos %d %d = %s, want %s", height, pos, id, txid)
		}
		var idm idFromPosResult
		if err := call(ctx, c, &idm, "blockchain.transaction.id_from_pos", height, pos, true); err != nil {
			return err
		}
		if idm.TxHash != txid.String() || !slices.Equal(idm.Merkle, gm.Merkle) {
			return fmt.Errorf("id_from_pos %d %d true = %+v, want %s with get_merkle's branch %v", height, pos, idm, txid, gm.Merkle)
		}
	}
	return nil
}

// checkAllTxProofs runs checkTxProofs for every block from height 1 over
// the clients concurrently; it reports up to 10 failures.
func checkAllTxProofs(t *testing.T, clients []*harness.Client, m *harness.Model) {
	t.Helper()
	ctx := timeout(t, 5*time.Minute)
	heights := make(chan int64)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range heights {
				if err := checkTxProofs(ctx, c, m, h); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for h := int64(1); h <= m.Tip(); h++ {
		heights <- h
	}
	close(heights)
	wg.Wait()
	for i, err := range errs {
		if i == 10 {
			t.Errorf("... and %d more", len(errs)-10)
			break
		}
		t.Error(err)
	}
}

// checkHeaders checks block.header for every height, block.headers chunks
// (including a request past the tip), and cp_height proofs for sampled
// (height, cp_height) pairs, each against the root recomputed from all
// block hashes 0..cp_height.
func checkHeaders(t *testing.T, c *harness.Client, m *harness.Model) {
	t.Helper()
	ctx := timeout(t, 3*time.Minute)
	tip := m.Tip()
	var all strings.Builder
	for h := int64(0); h <= tip; h++ {
		all.WriteString(m.HeaderHex(h))
	}
	for start := int64(0); start <= tip; start += 2016 {
		var r headersResult
		if err := call(ctx, c, &r, "blockchain.block.headers", start, 2016); err != nil {
			t.Fatal(err)
		}
		n := min(2016, tip-start+1)
		want := all.String()[start*160 : (start+n)*160]
		if r.Count != n || r.Max != 2016 || r.Hex != want {
			t.Errorf("block.headers %d 2016: count %d max %d, hex equal %v; want count %d", start, r.Count, r.Max, r.Hex == want, n)
		}
	}
	var past headersResult
	if err := call(ctx, c, &past, "blockchain.block.headers", tip-4, 50); err != nil {
		t.Fatal(err)
	}
	if past.Count != 5 || past.Hex != all.String()[(tip-4)*160:] {
		t.Errorf("block.headers past the tip: count %d, want 5", past.Count)
	}
	for h := int64(0); h <= tip; h++ {
		var hdr string
		if err := call(ctx, c, &hdr, "blockchain.block.header", h); err != nil {
			t.Fatal(err)
		}
		if hdr != m.HeaderHex(h) {
			t.Fatalf("block.header %d = %s, want %s", h, hdr, m.HeaderHex(h))
		}
	}
	hashes := m.BlockHashes()
	cps := []int64{1, 2, 3, 7, 8, 100, tip / 2, tip - 1, tip}
	for _, cp := range cps {
		if cp < 1 || cp > tip {
			continue
		}
		root := harness.MerkleRoot(hashes[:cp+1])
		for _, h := range []int64{0, cp / 2, cp - 1, cp} {
			var p headerProof
			if err := call(ctx, c, &p, "blockchain.block.header", h, cp); err != nil {
				t.Fatal(err)
			}
			if err := verifyHeaderProof(hashes[h], h, p.Branch, p.Root, root, harness.MerkleDepth(int(cp+1))); err != nil {
				t.Errorf("block.header %d cp %d: %v", h, cp, err)
			}
			if p.Header != m.HeaderHex(h) {
				t.Errorf("block.header %d cp %d: header %s, want %s", h, cp, p.Header, m.HeaderHex(h))
			}
		}
		count := min(10, cp+1)
		start := cp - count + 1
		var r headersResult
		if err := call(ctx, c, &r, "blockchain.block.headers", start, count, cp); err != nil {
			t.Fatal(err)
		}
		last := start + r.Count - 1
		if r.Count != count || r.Hex != all.String()[start*160:(last+1)*160] {
			t.Errorf("block.headers %d %d cp %d: count %d", start, count, cp, r.Count)
			continue
		}
		if err := verifyHeaderProof(hashes[last], last, r.Branch, r.Root, root, harness.MerkleDepth(int(cp+1))); err != nil {
			t.Errorf("block.headers %d %d cp %d (proof of %d): %v", start, count, cp, last, err)
		}
	}
}

func verifyHeaderProof(leaf sdk.Hash, height int64, branch []string, gotRoot string, want sdk.Hash, depth int) error {
	if gotRoot != want.String() {
		return fmt.Errorf("root %s, want %s", gotRoot, want)
	}
	if len(branch) != depth {
		return fmt.Errorf("branch of %d, want %d", len(branch), depth)
	}
	r, err := harness.ApplyBranch(leaf, int(height), branch)
	if err != nil {
		return err
	}
	if r != want {
		return fmt.Errorf("branch folds to %s, want %s", r, want)
	}
	return nil
}
