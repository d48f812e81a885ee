package faults

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/sdk"
)

// call calls method and decodes its result strictly into v.
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

// checkHeaders checks blockchain.headers.subscribe, block.header at every
// height, block.headers chunks of 2016 from 0, and checkpoint proofs for a
// few (height, cp_height) pairs against the root of the model's hashes.
func checkHeaders(ctx context.Context, c *harness.Client, m *harness.Model) error {
	tip := m.Tip()
	var sub harness.Header
	if err := call(ctx, c, &sub, "blockchain.headers.subscribe"); err != nil {
		return err
	}
	if want := (harness.Header{Hex: m.HeaderHex(tip), Height: tip}); sub != want {
		return fmt.Errorf("headers.subscribe = height %d %s, want %d %s", sub.Height, sub.Hex, want.Height, want.Hex)
	}
	var all strings.Builder
	for h := int64(0); h <= tip; h++ {
		all.WriteString(m.HeaderHex(h))
		var hdr string
		if err := call(ctx, c, &hdr, "blockchain.block.header", h); err != nil {
			return err
		}
		if hdr != m.HeaderHex(h) {
			return fmt.Errorf("block.header %d = %s, want %s", h, hdr, m.HeaderHex(h))
		}
	}
	for start := int64(0); start <= tip; start += 2016 {
		var r struct {
			Hex   string `json:"hex"`
			Count int64  `json:"count"`
			Max   int64  `json:"max"`
		}
		if err := call(ctx, c, &r, "blockchain.block.headers", start, 2016); err != nil {
			return err
		}
		n := min(2016, tip-start+1)
		if r.Count != n || r.Hex != all.String()[start*160:(start+n)*160] {
			return fmt.Errorf("block.headers %d 2016: count %d (want %d), hex equal %v", start, r.Count, n, r.Hex == all.String()[start*160:(start+n)*160])
		}
	}
	hashes := m.BlockHashes()
	for _, cp := range []int64{1, tip / 2, tip} {
		root := harness.MerkleRoot(hashes[:cp+1])
		for _, h := range []int64{0, cp / 3, cp} {
			var p struct {
				Header string   `json:"header"`
				Branch []string `json:"branch"`
				Root   string   `json:"root"`
			}
			if err := call(ctx, c, &p, "blockchain.block.header", h, cp); err != nil {
				return err
			}
			got, err := harness.ApplyBranch(hashes[h], int(h), p.Branch)
			if err != nil || p.Header != m.HeaderHex(h) || p.Root != root.String() || got != root ||
				len(p.Branch) != harness.MerkleDepth(int(cp+1)) {
				return fmt.Errorf("block.header %d cp %d: header ok %v, root %s folds to %s (%v), want %s",
					h, cp, p.Header == m.HeaderHex(h), p.Root, got, err, root)
			}
		}
	}
	return nil
}

// checkBlockProofs checks get_merkle and id_from_pos (with and without a
// proof) for the first, middle and last transaction of one block.
func checkBlockProofs(ctx context.Context, c *harness.Client, m *harness.Model, height int64) error {
	txids := m.BlockTxids(height)
	root := m.MerkleRootAt(height)
	ps := slices.Compact([]int{0, len(txids) / 2, len(txids) - 1})
	for _, pos := range ps {
		txid := txids[pos]
		var gm struct {
			BlockHeight int64    `json:"block_height"`
			Merkle      []string `json:"merkle"`
			Pos         int      `json:"pos"`
		}
		if err := call(ctx, c, &gm, "blockchain.transaction.get_merkle", txid.String(), height); err != nil {
			return err
		}
		got, err := harness.ApplyBranch(txid, pos, gm.Merkle)
		if err != nil || got != root || gm.BlockHeight != height || gm.Pos != pos {
			return fmt.Errorf("get_merkle %s %d: height %d pos %d, root %s (%v), want pos %d root %s",
				txid, height, gm.BlockHeight, gm.Pos, got, err, pos, root)
		}
		var id string
		if err := call(ctx, c, &id, "blockchain.transaction.id_from_pos", height, pos); err != nil {
			return err
		}
		var idm struct {
			TxHash string   `json:"tx_hash"`
			Merkle []string `json:"merkle"`
		}
		if err := call(ctx, c, &idm, "blockchain.transaction.id_from_pos", height, pos, true); err != nil {
			return err
		}
		if id != txid.String() || idm.TxHash != txid.String() || !slices.Equal(idm.Merkle, gm.Merkle) {
			return fmt.Errorf("id_from_pos %d %d = %s / %s, want %s with get_merkle's branch", height, pos, id, idm.TxHash, txid)
		}
	}
	return nil
}

// checkProofs runs checkBlockProofs for every block from height 1 over the
// clients concurrently and returns up to max failures.
func checkProofs(ctx context.Context, clients []*harness.Client, m *harness.Model, max int) []error {
	heights := make(chan int64)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range heights {
				if err := checkBlockProofs(ctx, c, m, h); err != nil {
					mu.Lock()
					if len(errs) < max {
						errs = append(errs, err)
					}
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
	return errs
}

// txOnlyIn returns a confirmed txid of model a at or above height from
// that model b does not have (nil if none).
func txOnlyIn(a, b *harness.Model, from int64) *sdk.Hash {
	for h := from; h <= a.Tip(); h++ {
		for _, id := range a.BlockTxids(h) {
			if _, _, ok := b.TxPos(id); !ok {
				return &id
			}
		}
	}
	return nil
}
