package hostsvc

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// fakeIndex is an in-memory Index.
type fakeIndex struct {
	mu           sync.Mutex
	headers      [][]byte
	hist         map[index.HashX][]index.Confirmed
	mempool      map[index.HashX][]index.MempoolEntry
	utxos        map[index.HashX][]index.UTXO
	blocks       map[int64][]sdk.Hash
	balances     map[index.HashX][2]int64 // confirmed, mempool delta
	historyCalls int
}

// h256 is a distinct hash per n.
func h256(n uint64) sdk.Hash {
	return sdk.Hash(sha256.Sum256(binary.BigEndian.AppendUint64(nil, n)))
}

// newFakeIndex returns an index with n synthetic 80-byte headers.
func newFakeIndex(n int) *fakeIndex {
	f := &fakeIndex{
		hist:     map[index.HashX][]index.Confirmed{},
		mempool:  map[index.HashX][]index.MempoolEntry{},
		utxos:    map[index.HashX][]index.UTXO{},
		blocks:   map[int64][]sdk.Hash{},
		balances: map[index.HashX][2]int64{},
	}
	for i := range n {
		hdr := make([]byte, headerLen)
		binary.BigEndian.PutUint64(hdr, uint64(i))
		f.headers = append(f.headers, hdr)
	}
	return f
}

func (f *fakeIndex) Tip() (int64, sdk.Hash, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.headers) == 0 {
		return -1, sdk.Hash{}, nil
	}
	last := f.headers[len(f.headers)-1]
	return int64(len(f.headers) - 1), sdk.Hash(sha256.Sum256(last)), last
}

func (f *fakeIndex) Headers(_ context.Context, start int64, count int) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []byte
	for i := start; i < int64(len(f.headers)) && i < start+int64(count); i++ {
		out = append(out, f.headers[i]...)
	}
	return out, nil
}

func (f *fakeIndex) History(_ context.Context, hx index.HashX, limit int) ([]index.Confirmed, []index.MempoolEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.historyCalls++
	c := f.hist[hx]
	if limit > 0 && len(c) >= limit-1 {
		return nil, nil, index.ErrHistoryTooLarge
	}
	return slices.Clone(c), slices.Clone(f.mempool[hx]), nil
}

func (f *fakeIndex) MempoolHistory(hx index.HashX) []index.MempoolEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.mempool[hx])
}

func (f *fakeIndex) ListUnspent(_ context.Context, hx index.HashX) ([]index.UTXO, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.utxos[hx]), len(f.utxos[hx]), nil
}

func (f *fakeIndex) Balance(ctx context.Context, hx index.HashX) (int64, int64, int, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.balances[hx]
	return b[0], b[1], len(f.utxos[hx]), nil
}

func (f *fakeIndex) BlockTxids(_ context.Context, height int64) ([]sdk.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blocks[height]
	if !ok {
		return nil, index.ErrBlockNotFound
	}
	return slices.Clone(b), nil
}

// addBlock appends a header and returns its event.
func (f *fakeIndex) addBlock() index.Event {
	f.mu.Lock()
	hdr := make([]byte, headerLen)
	binary.BigEndian.PutUint64(hdr, uint64(len(f.headers)))
	f.headers = append(f.headers, hdr)
	f.mu.Unlock()
	h, hash, header := f.Tip()
	return index.Event{Height: h, TipHash: hash, Header: header}
}

// pagerIndex adds HistoryPage over a synthetic history of n entries (tx
// number i has txid h256(i) at height i/1000) for the script hash sh; it
// never holds more than one page.
type pagerIndex struct {
	*fakeIndex
	sh      index.HashX
	n       uint64
	maxPage int
	calls   int
}

func (p *pagerIndex) HistoryPage(_ context.Context, hx index.HashX, from uint64, limit int) ([]index.Confirmed, uint64, error) {
	p.calls++
	p.maxPage = max(p.maxPage, limit)
	if hx != p.sh || from >= p.n {
		return nil, 0, nil
	}
	end := min(from+uint64(limit), p.n)
	page := make([]index.Confirmed, 0, end-from)
	for i := from; i < end; i++ {
		page = append(page, index.Confirmed{TxHash: h256(i), Height: int64(i / 1000)})
	}
	next := end
	if end == p.n {
		next = 0
	}
	return page, next, nil
}
