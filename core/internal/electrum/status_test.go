package electrum

import (
	"testing"

	"github.com/amber-electrum/amber/core/internal/index"
)

// TestStatusSpecVectors: the protocol spec's two status vectors (docs/protocol.md, Status).
func TestStatusSpecVectors(t *testing.T) {
	conf := []index.Confirmed{{TxHash: rep(0xaa), Height: 100}, {TxHash: rep(0xbb), Height: 105}}
	mem := []index.MempoolEntry{{TxHash: rep(0xcc), Height: 0}, {TxHash: rep(0x0d), Height: -1}}
	if s := Status(conf, mem); s == nil || *s != "85497647de008b664c2115ff61ad658f21a662949934bcd62944b9774fd1b62c" {
		t.Errorf("full vector: %v", s)
	}
	if s := Status(conf[:1], nil); s == nil || *s != "5ff47635caf08b69b6788522ae9c7b6166d3fc1cdae36ebb3cbcd243d4c50185" {
		t.Errorf("single vector: %v", s)
	}
	if s := Status(nil, nil); s != nil {
		t.Errorf("empty history: %v", *s)
	}
}

// TestMempoolOrderMatchesStatus: the fixture's mempool is stored in the
// wrong order (-1 first); get_history and the status must both use the
// canonical order, so the status Electrum recomputes from get_history
// matches the subscription status.
func TestMempoolOrderMatchesStatus(t *testing.T) {
	srv, _, _ := newFixture(t)
	s := &fakeSess{}
	hist, _ := do(t, srv, s, "blockchain.scripthash.get_history", `[`+q(shA)+`]`)
	want := `[{"tx_hash":"` + rep(0xaa).String() + `","height":1},{"tx_hash":"` + rep(0xbb).String() + `","height":2},` +
		`{"tx_hash":"` + rep(0xcc).String() + `","height":0,"fee":200},{"tx_hash":"` + rep(0x0d).String() + `","height":-1,"fee":300}]`
	if hist != want {
		t.Fatalf("get_history\n got %s\nwant %s", hist, want)
	}
	st, _ := do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	conf := []index.Confirmed{{TxHash: rep(0xaa), Height: 1}, {TxHash: rep(0xbb), Height: 2}}
	mem := []index.MempoolEntry{{TxHash: rep(0xcc), Height: 0}, {TxHash: rep(0x0d), Height: -1}}
	if st != `"`+*Status(conf, mem)+`"` {
		t.Errorf("status %s", st)
	}
}

// TestScripthashSpecVectors: the protocol spec's own and upstream vectors
// (docs/protocol.md, Script hashes).
func TestScripthashSpecVectors(t *testing.T) {
	script := append([]byte{0x00, 0x14}, make([]byte, 20)...)
	for i := 2; i < 22; i++ {
		script[i] = 0x11
	}
	if got := ScripthashOf(script); got != "5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282" {
		t.Errorf("own vector scripthash %s", got)
	}
	hx, _, err := parseScripthash([]byte(`"5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282"`))
	if err != nil || hx != index.HashXFromScript(script) || hx != (index.HashX{0x82, 0xd2, 0xc7, 0xb9, 0xde, 0xd5, 0x42, 0xf3, 0x02, 0x4b, 0xfe}) {
		t.Errorf("hashX %x, err %v", hx, err)
	}
	p2pkh := []byte{0x76, 0xa9, 0x14, 0x62, 0xe9, 0x07, 0xb1, 0x5c, 0xbf, 0x27, 0xd5, 0x42, 0x53, 0x99, 0xeb, 0xf6, 0xf0, 0xfb, 0x50, 0xeb, 0xb8, 0x8f, 0x18, 0x88, 0xac}
	if got := ScripthashOf(p2pkh); got != "8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161" {
		t.Errorf("upstream vector %s", got)
	}
}
