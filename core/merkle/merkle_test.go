package merkle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/sdk"
)

func rep(b byte) sdk.Hash {
	var h sdk.Hash
	for i := range h {
		h[i] = b
	}
	return h
}

func display(hs []sdk.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

// TestBranchSpecVector is the protocol spec's own 3-txid vector (docs/protocol.md, Merkle branches).
func TestBranchSpecVector(t *testing.T) {
	leaves := []sdk.Hash{rep(0x11), rep(0x22), rep(0x33)}
	const root = "e6f5f3a082e7117eca9f5b077b5f9e08a64c213c92f4b6377af3825e5c89cdca"
	tests := []struct {
		pos  int
		want []string
	}{
		{0, []string{strings.Repeat("22", 32), "4d20e68c68750c24821ab555f35234854017219926f9f1c3fa9402493bb599ee"}},
		{2, []string{strings.Repeat("33", 32), "ba982c0808a9a03c4e958ae612516f85faac3780dcb34d9ab83ceeaf74b54011"}},
	}
	for _, tc := range tests {
		br, r := Branch(leaves, tc.pos)
		if got := display(br); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("pos %d: branch %v, want %v", tc.pos, got, tc.want)
		}
		if r.String() != root {
			t.Errorf("pos %d: root %s, want %s", tc.pos, r, root)
		}
		if Root(leaves) != r {
			t.Errorf("Root disagrees with Branch root")
		}
	}
}

func TestBranchSingleLeaf(t *testing.T) {
	br, root := Branch([]sdk.Hash{rep(7)}, 0)
	if len(br) != 0 || root != rep(7) {
		t.Fatalf("1-tx block: branch %v root %s", br, root)
	}
}

func TestBranchOddCountsVerify(t *testing.T) {
	for n := 1; n <= 33; n++ {
		leaves := make([]sdk.Hash, n)
		for i := range leaves {
			leaves[i] = sha256.Sum256([]byte{byte(i), byte(n)})
		}
		tree := NewTree(leaves)
		for i := range leaves {
			br, root := Branch(leaves, i)
			if len(br) != Depth(n) {
				t.Fatalf("n=%d i=%d: branch length %d, want %d", n, i, len(br), Depth(n))
			}
			if Fold(leaves[i], br, i) != root {
				t.Fatalf("n=%d i=%d: branch does not verify", n, i)
			}
			if root != Root(leaves) {
				t.Fatalf("n=%d: root mismatch", n)
			}
			tb, troot := tree.Branch(i)
			if troot != root || strings.Join(display(tb), ",") != strings.Join(display(br), ",") {
				t.Fatalf("n=%d i=%d: Tree branch differs from Branch", n, i)
			}
		}
	}
}

func TestDepth(t *testing.T) {
	for _, tc := range []struct{ n, d int }{{0, 0}, {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {1024, 10}, {1025, 11}} {
		if got := Depth(tc.n); got != tc.d {
			t.Errorf("Depth(%d) = %d, want %d", tc.n, got, tc.d)
		}
	}
}

func mainnetHashes(t *testing.T) []sdk.Hash {
	t.Helper()
	raw, err := os.ReadFile("testdata/mainnet-headers-0-8.hex")
	if err != nil {
		t.Fatal(err)
	}
	var hashes []sdk.Hash
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		hdr, err := hex.DecodeString(strings.TrimSpace(sc.Text()))
		if err != nil || len(hdr) != 80 {
			t.Fatalf("bad header line %q: %v", sc.Text(), err)
		}
		first := sha256.Sum256(hdr)
		h := sdk.Hash(sha256.Sum256(first[:]))
		if n := len(hashes); n > 0 && !bytes.Equal(hdr[4:36], hashes[n-1][:]) {
			t.Fatalf("header %d does not link to %d", n, n-1)
		}
		hashes = append(hashes, h)
	}
	if len(hashes) != 9 {
		t.Fatalf("want 9 headers, got %d", len(hashes))
	}
	if hashes[0] != sdk.Hash(*chaincfg.MainNetParams.GenesisHash) {
		t.Fatalf("header 0 is not the mainnet genesis")
	}
	return hashes
}

// TestHeaderProofSpecVector is upstream's checkpoint vector
// (docs/protocol.md, Checkpoint proofs) (height 5, cp_height 8) over the real
// mainnet headers 0..8.
func TestHeaderProofSpecVector(t *testing.T) {
	hashes := mainnetHashes(t)
	br, root, err := HeaderProof(hashes, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"000000004ebadb55ee9096c9a2f8880e09da59c0d68b1c228da88e48844a1485",
		"96cbbc84783888e4cc971ae8acf86dd3c1a419370336bb3c634c97695a8c5ac9",
		"965ac94082cebbcffe458075651e9cc33ce703ab0115c72d9e8b1a9906b2b636",
		"89e5daa6950b895190716dd26054432b564ccdc2868188ba1da76de8e1dc7591",
	}
	if got := display(br); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("branch %v, want %v", got, want)
	}
	if root.String() != "e347b1c43fd9b5415bf0d92708db8284b78daf4d0e24f9c3405f45feb85e25db" {
		t.Errorf("root %s", root)
	}
	if _, _, err := HeaderProof(hashes, 9); err == nil {
		t.Errorf("height beyond cp_height accepted")
	}
}

// FuzzBranch: for random leaf sets every branch verifies against the root,
// and the cached Tree agrees with the plain construction.
func FuzzBranch(f *testing.F) {
	f.Add([]byte("seed"), uint16(3), uint16(2))
	f.Add([]byte{}, uint16(1), uint16(0))
	f.Add([]byte{1, 2, 3}, uint16(1000), uint16(999))
	f.Fuzz(func(t *testing.T, seed []byte, n, idx uint16) {
		count := int(n%2048) + 1
		index := int(idx) % count
		leaves := make([]sdk.Hash, count)
		for i := range leaves {
			leaves[i] = sha256.Sum256(append([]byte{byte(i), byte(i >> 8)}, seed...))
		}
		br, root := Branch(leaves, index)
		if Fold(leaves[index], br, index) != root {
			t.Fatalf("branch of %d/%d does not verify", index, count)
		}
		tb, troot := NewTree(leaves).Branch(index)
		if troot != root || len(tb) != len(br) {
			t.Fatalf("tree disagrees")
		}
		for i := range br {
			if br[i] != tb[i] {
				t.Fatalf("tree branch differs at %d", i)
			}
		}
	})
}
