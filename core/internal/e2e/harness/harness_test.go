package harness

import (
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

func rep(b string) string { return strings.Repeat(b, 32) }

func hash(t *testing.T, s string) sdk.Hash {
	t.Helper()
	h, err := sdk.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Vectors of the protocol spec (docs/protocol.md: Script hashes, Status, Merkle branches).
func TestScriptHashVectors(t *testing.T) {
	tests := []struct{ script, want string }{
		{"0014" + strings.Repeat("11", 20), "5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282"},
		{"76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", "8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161"},
	}
	for _, tc := range tests {
		if got := ScriptHash(HexBytes(tc.script)); got != tc.want {
			t.Errorf("ScriptHash(%s) = %s, want %s", tc.script, got, tc.want)
		}
	}
}

func TestStatusVectors(t *testing.T) {
	tests := []struct {
		name string
		h    []HistoryEntry
		want string
	}{
		{"empty", nil, ""},
		{"single", []HistoryEntry{{TxHash: rep("aa"), Height: 100}}, "5ff47635caf08b69b6788522ae9c7b6166d3fc1cdae36ebb3cbcd243d4c50185"},
		{"mixed", []HistoryEntry{{TxHash: rep("aa"), Height: 100}, {TxHash: rep("bb"), Height: 105}, {TxHash: rep("cc"), Height: 0}, {TxHash: rep("0d"), Height: -1}},
			"85497647de008b664c2115ff61ad658f21a662949934bcd62944b9774fd1b62c"},
	}
	for _, tc := range tests {
		got := StatusOf(tc.h)
		if (got == nil) != (tc.want == "") || (got != nil && *got != tc.want) {
			t.Errorf("%s: StatusOf = %v, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMerkleVectors(t *testing.T) {
	leaves := []sdk.Hash{hash(t, rep("11")), hash(t, rep("22")), hash(t, rep("33"))}
	root := MerkleRoot(leaves)
	if want := "e6f5f3a082e7117eca9f5b077b5f9e08a64c213c92f4b6377af3825e5c89cdca"; root.String() != want {
		t.Fatalf("root %s, want %s", root, want)
	}
	tests := []struct {
		pos    int
		branch []string
	}{
		{0, []string{rep("22"), "4d20e68c68750c24821ab555f35234854017219926f9f1c3fa9402493bb599ee"}},
		{2, []string{rep("33"), "ba982c0808a9a03c4e958ae612516f85faac3780dcb34d9ab83ceeaf74b54011"}},
	}
	for _, tc := range tests {
		got, err := ApplyBranch(leaves[tc.pos], tc.pos, tc.branch)
		if err != nil || got != root {
			t.Errorf("pos %d: root %s (%v), want %s", tc.pos, got, err, root)
		}
		if _, err := ApplyBranch(leaves[tc.pos], 4, tc.branch); err == nil {
			t.Errorf("pos 4 with a 2-level branch accepted")
		}
	}
	if d := MerkleDepth(3); d != 2 {
		t.Errorf("MerkleDepth(3) = %d", d)
	}
}

func TestNormalizeUnspent(t *testing.T) {
	us := []Unspent{{TxHash: "b", Height: 5}, {TxHash: "a", Height: 7}, {TxHash: "z", TxPos: 1}, {TxHash: "c"}, {TxHash: "z"}}
	NormalizeUnspent(us)
	got := ""
	for _, u := range us {
		got += u.TxHash
	}
	if got != "baczz" || us[3].TxPos != 0 {
		t.Errorf("order %s %+v", got, us)
	}
}
