package electrum

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/sdk"
)

// fakeIndex is an in-memory Index.
type fakeIndex struct {
	mu           sync.Mutex
	headers      [][]byte // by height
	txids        map[int64][]sdk.Hash
	conf         map[index.HashX][]index.Confirmed
	mem          map[index.HashX][]index.MempoolEntry
	utxos        map[index.HashX][]index.UTXO
	hist         []index.FeeBin
	historyCalls int
	txidCalls    int
}

func dsha(b []byte) sdk.Hash {
	f := sha256.Sum256(b)
	return sdk.Hash(sha256.Sum256(f[:]))
}

func (f *fakeIndex) Tip() (int64, sdk.Hash, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.headers[len(f.headers)-1]
	return int64(len(f.headers) - 1), dsha(h), h
}

func (f *fakeIndex) Headers(_ context.Context, start int64, count int) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []byte
	for h := start; h < int64(len(f.headers)) && h < start+int64(count); h++ {
		out = append(out, f.headers[h]...)
	}
	return out, nil
}

func (f *fakeIndex) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	raw, _ := f.Headers(ctx, start, count)
	var out []sdk.Hash
	for i := 0; i+80 <= len(raw); i += 80 {
		out = append(out, dsha(raw[i:i+80]))
	}
	return out, nil
}

func (f *fakeIndex) BlockTxids(_ context.Context, height int64) ([]sdk.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txidCalls++
	if height <= 0 || height >= int64(len(f.headers)) {
		return nil, index.ErrBlockNotFound
	}
	return f.txids[height], nil
}

func (f *fakeIndex) History(_ context.Context, hx index.HashX, limit int) ([]index.Confirmed, []index.MempoolEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.historyCalls++
	if limit > 0 && len(f.conf[hx]) >= limit {
		return nil, nil, index.ErrHistoryTooLarge
	}
	return append([]index.Confirmed(nil), f.conf[hx]...), f.mem[hx], nil
}

func (f *fakeIndex) MempoolHistory(hx index.HashX) []index.MempoolEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]index.MempoolEntry(nil), f.mem[hx]...)
}

func (f *fakeIndex) Balance(_ context.Context, hx index.HashX) (int64, int64, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var c int64
	n := 0
	for _, u := range f.utxos[hx] {
		if u.Height > 0 {
			c += u.Value
			n++
		}
	}
	return c, -1234, n, nil
}

func (f *fakeIndex) ListUnspent(_ context.Context, hx index.HashX) ([]index.UTXO, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.utxos[hx], len(f.utxos[hx]) + 1, nil
}

func (f *fakeIndex) FeeHistogram() []index.FeeBin { return f.hist }

// setHistory replaces the history of hx.
func (f *fakeIndex) setHistory(hx index.HashX, conf []index.Confirmed, mem []index.MempoolEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conf[hx], f.mem[hx] = conf, mem
}

// addBlock appends a header and returns the new tip event fields.
func (f *fakeIndex) addBlock(tag byte) (int64, sdk.Hash, []byte) {
	hdr := make([]byte, 80)
	f.mu.Lock()
	prev := dsha(f.headers[len(f.headers)-1])
	copy(hdr[4:36], prev[:])
	hdr[79] = tag
	f.headers = append(f.headers, hdr)
	f.mu.Unlock()
	return f.Tip()
}

// fakeDaemon is a scripted Daemon.
type fakeDaemon struct {
	mu         sync.Mutex
	err        error
	tx         []byte
	txid       string
	fee        float64
	feeCalls   int
	lastMode   string
	lastBlock  int
	info       sdk.DaemonInfo
	broadcasts int
}

func (d *fakeDaemon) Transaction(_ context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	if verbose {
		return []byte(`{"txid":"` + txid.String() + `","size":1}`), nil
	}
	return d.tx, nil
}

func (d *fakeDaemon) Broadcast(_ context.Context, raw string) (string, error) {
	d.mu.Lock()
	d.broadcasts++
	d.mu.Unlock()
	if d.err != nil {
		return "", d.err
	}
	return d.txid, nil
}

func (d *fakeDaemon) RelayFee(context.Context) (float64, error) {
	if d.err != nil {
		return 0, d.err
	}
	return 0.00001, nil
}

func (d *fakeDaemon) EstimateFee(_ context.Context, blocks int, mode string) (float64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.feeCalls++
	d.lastBlock, d.lastMode = blocks, mode
	if d.err != nil {
		return 0, d.err
	}
	return d.fee, nil
}

func (d *fakeDaemon) DaemonInfo(context.Context) (sdk.DaemonInfo, error) {
	if d.err != nil {
		return sdk.DaemonInfo{}, d.err
	}
	return d.info, nil
}

// fakeSess records what the handlers do to a session.
type fakeSess struct {
	mu         sync.Mutex
	id         uint64
	cost       float64
	closeAfter bool
	notes      []string // "method params-json"
	failNotify bool
	counters   session.Counters
	// fresh: do does not mark the session as having sent server.version
	// (tests of the version-first rule); by default it does, so a test of
	// one method needs no negotiation (the 1.4 table is used).
	fresh bool
	// client, if set, is the client name its handler starts with (as
	// if server.version had sent it).
	client string
	h      *handler // opened by handlerOf
}

func (s *fakeSess) ID() uint64                  { return s.id }
func (s *fakeSess) Kind() string                { return "tcp" }
func (s *fakeSess) RemoteAddr() net.Addr        { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (s *fakeSess) Context() context.Context    { return context.Background() }
func (s *fakeSess) CloseAfterReply()            { s.mu.Lock(); s.closeAfter = true; s.mu.Unlock() }
func (s *fakeSess) AddCost(c float64)           { s.mu.Lock(); s.cost += c; s.mu.Unlock() }
func (s *fakeSess) Counters() *session.Counters { return &s.counters }

// handlerOf returns the handler srv opened for s, opening it on first use
// (as the session manager does when a session starts).
func handlerOf(srv *Server, s *fakeSess) *handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil || s.h.srv != srv {
		s.h = srv.open(s)
		s.h.client = s.client
	}
	return s.h
}

func (s *fakeSess) takeCost() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cost
	s.cost = 0
	return c
}
func (s *fakeSess) takeNotes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notes
	s.notes = nil
	return n
}
func (s *fakeSess) Notify(m string, p any) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNotify {
		return net.ErrClosed
	}
	s.notes = append(s.notes, m+" "+string(b))
	return nil
}

// rep is a hash of 32 copies of b.
func rep(b byte) sdk.Hash {
	var h sdk.Hash
	for i := range h {
		h[i] = b
	}
	return h
}

// hxOf returns the hashX and scripthash string of a script.
func hxOf(script []byte) (index.HashX, string) {
	return index.HashXFromScript(script), ScripthashOf(script)
}

var (
	scriptA       = []byte{0x00, 0x14, 1, 2, 3}
	hxA, shA      = hxOf(scriptA)
	scriptBig     = []byte{0x00, 0x14, 9, 9, 9}
	hxBig, shBig  = hxOf(scriptBig)
	scriptMem     = []byte{0x00, 0x14, 7}
	hxMem, shMem  = hxOf(scriptMem)
	scriptNone    = []byte{0x51}
	_, shNone     = hxOf(scriptNone)
	genesisHeader []byte
)

// newFixture returns a server over the real mainnet headers 0..8 with some
// histories, blocks and a banner file.
func newFixture(t testing.TB) (*Server, *fakeIndex, *fakeDaemon) {
	t.Helper()
	f, err := os.Open("../../merkle/testdata/mainnet-headers-0-8.hex")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ix := &fakeIndex{txids: map[int64][]sdk.Hash{}, conf: map[index.HashX][]index.Confirmed{},
		mem: map[index.HashX][]index.MempoolEntry{}, utxos: map[index.HashX][]index.UTXO{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		h, err := hex.DecodeString(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatal(err)
		}
		ix.headers = append(ix.headers, h)
	}
	genesisHeader = ix.headers[0]
	ix.txids[1] = []sdk.Hash{rep(0x11), rep(0x22), rep(0x33)}
	big := make([]sdk.Hash, 300)
	for i := range big {
		big[i] = dsha([]byte{byte(i), byte(i >> 8)})
	}
	ix.txids[2] = big
	ix.conf[hxA] = []index.Confirmed{{TxHash: rep(0xaa), Height: 1}, {TxHash: rep(0xbb), Height: 2}}
	ix.mem[hxA] = []index.MempoolEntry{{TxHash: rep(0x0d), Height: -1, Fee: 300}, {TxHash: rep(0xcc), Height: 0, Fee: 200}}
	ix.mem[hxMem] = []index.MempoolEntry{{TxHash: rep(0x44), Height: -1, Fee: 10}}
	big2 := make([]index.Confirmed, 20)
	for i := range big2 {
		big2[i] = index.Confirmed{TxHash: rep(byte(i)), Height: int64(i)}
	}
	ix.conf[hxBig] = big2
	ix.utxos[hxA] = []index.UTXO{{TxHash: rep(0xaa), TxPos: 1, Height: 1, Value: 5000}, {TxHash: rep(0xcc), TxPos: 0, Height: 0, Value: 700}}
	ix.hist = []index.FeeBin{{Rate: 12.5, VSize: 31000}, {Rate: 8.1, VSize: 36000}, {Rate: 2, VSize: 52000}}

	d := &fakeDaemon{tx: []byte(`"0100abcd"`), txid: strings.Repeat("ab", 32), fee: 0.00012,
		info: sdk.DaemonInfo{Version: 260100, Subversion: "/Satoshi:26.1.0/", RelayFee: 0.00001}}
	fs := afero.NewMemMapFs()
	_ = afero.WriteFile(fs, "/db/banner.txt", []byte("Welcome to $SERVER_SUBVERSION ($SERVER_VERSION) on $DAEMON_SUBVERSION $DAEMON_VERSION. Donate: $DONATION_ADDRESS"), 0o644)
	srv := New(Options{
		Index: ix, Daemon: d, Genesis: dsha(ix.headers[0]), ServerVersion: "Amber 0.1.0",
		Banner:         BannerOptions{Fs: fs, File: "/db/banner.txt", DonationAddress: "bc1qdonate"},
		ReportServices: []Service{{"tcp", "example.com", 50001}, {"ssl", "example.com", 50002}, {"tcp", "::1", 50001}},
		MaxSend:        99 * 20, // history limit 20
	})
	return srv, ix, d
}

// ready marks s as having sent server.version (1.4 table), for tests that
// call Handle directly.
func ready(srv *Server, s *fakeSess) *handler {
	h := handlerOf(srv, s)
	h.mu.Lock()
	h.versionSeen = true
	h.mu.Unlock()
	return h
}

// do calls method on s and returns the result JSON or the error.
func do(t testing.TB, srv *Server, s *fakeSess, method, params string) (string, *jsonrpc.Error) {
	t.Helper()
	var raw json.RawMessage
	if params != "" {
		raw = json.RawMessage(params)
	}
	if !s.fresh && method != "server.version" {
		ready(srv, s)
	}
	res, err := handlerOf(srv, s).Handle(context.Background(), method, raw)
	if err != nil {
		je, ok := err.(*jsonrpc.Error)
		if !ok {
			t.Fatalf("%s %s: non-RPC error %v", method, params, err)
		}
		return "", je
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("%s: marshal: %v", method, err)
	}
	return string(b), nil
}
