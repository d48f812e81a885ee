package merkle

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

type chain struct {
	hashes []sdk.Hash
	reads  int // hashes read
}

func (c *chain) fetch(_ context.Context, start int64, count int) ([]sdk.Hash, error) {
	end := min(int(start)+count, len(c.hashes))
	c.reads += end - int(start)
	return c.hashes[start:end], nil
}

func newChain(n int, salt byte) *chain {
	c := &chain{hashes: make([]sdk.Hash, n)}
	for i := range c.hashes {
		c.hashes[i] = sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16), salt})
	}
	return c
}

func TestHeaderTreeMatchesPlainProof(t *testing.T) {
	c := newChain(5000, 0)
	var tree HeaderTree
	for _, tc := range []struct{ h, cp int64 }{{5, 8}, {0, 0}, {1023, 1023}, {0, 1024}, {1024, 1024}, {1500, 2047}, {2047, 2048}, {100, 4999}, {4999, 4999}, {3000, 4095}, {4096, 4096}} {
		br, root, err := tree.Proof(context.Background(), c.fetch, tc.h, tc.cp)
		if err != nil {
			t.Fatal(err)
		}
		want, wroot, _ := HeaderProof(c.hashes[:tc.cp+1], int(tc.h))
		if root != wroot || len(br) != len(want) {
			t.Fatalf("h=%d cp=%d: root/len mismatch", tc.h, tc.cp)
		}
		for i := range br {
			if br[i] != want[i] {
				t.Fatalf("h=%d cp=%d: branch[%d] differs", tc.h, tc.cp, i)
			}
		}
	}
	c.reads = 0
	if _, _, err := tree.Proof(context.Background(), c.fetch, 10, 4999); err != nil {
		t.Fatal(err)
	}
	if c.reads > 2048 {
		t.Errorf("warm proof read %d hashes, want at most two chunks", c.reads)
	}
	if _, _, err := tree.Proof(context.Background(), c.fetch, 10, 9); err == nil {
		t.Error("height > cp accepted")
	}
}

func TestHeaderTreeTruncate(t *testing.T) {
	c := newChain(4096, 0)
	var tree HeaderTree
	_, before, _ := tree.Proof(context.Background(), c.fetch, 1, 4095)
	// reorg from height 3000: the last chunk's hashes change
	fork := newChain(4096, 1)
	copy(c.hashes[3000:], fork.hashes[3000:])
	tree.Truncate(3000)
	_, after, _ := tree.Proof(context.Background(), c.fetch, 1, 4095)
	if _, want, _ := HeaderProof(c.hashes, 1); after != want || after == before {
		t.Fatalf("stale chunk root after Truncate")
	}
}
