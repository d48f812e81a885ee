package sdktest_test

import (
	"fmt"
	"testing"

	"github.com/amber-electrum/amber/sdk/sdktest"
)

// TestConformFake runs the conformance suite through the wire against fakes
// of several lengths (a one-block chain exercises the window at height 0).
func TestConformFake(t *testing.T) {
	for _, n := range []int{1, 2, 10} {
		t.Run(fmt.Sprintf("%dblocks", n), func(t *testing.T) {
			sdktest.ConformChain(t, sdktest.NewChain(t, sdktest.NewFake(n)))
		})
	}
}

// TestConformDirect runs the suite on the fake without the wire.
func TestConformDirect(t *testing.T) {
	sdktest.ConformChain(t, sdktest.NewFake(5))
}

// TestFakeChainLinks: NewFake builds a linked chain whose hashes are the
// double SHA-256 of the raw blocks.
func TestFakeChainLinks(t *testing.T) {
	f := sdktest.NewFake(4)
	for i, b := range f.Chain {
		if b.Hash != sdktest.DoubleSHA256(b.Raw) {
			t.Errorf("block %d: hash is not sha256d(raw)", i)
		}
		if i > 0 && string(b.Raw[4:36]) != string(f.Chain[i-1].Hash[:]) {
			t.Errorf("block %d does not link to block %d", i, i-1)
		}
	}
	if f.Desc.GenesisHash != f.Chain[0].Hash {
		t.Error("genesis hash is not block 0")
	}
}
