package sdktest

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/amber-electrum/amber/sdk"
)

// FakeHost is an in-memory sdk.Host for testing plugins that use host
// services: a chain of synthetic headers, per-script histories and UTXOs,
// per-block txids, and events published by the test. Fields may be changed
// under Lock/Unlock. Its zero value is an empty chain.
type FakeHost struct {
	mu   sync.Mutex
	subs map[chan sdk.BlockEvent]struct{}

	Chain     []sdk.Block                     // Chain[i] is the block at height i; Raw is its header
	Histories map[sdk.Hash][]sdk.HistoryEntry // by script hash, in order
	UTXOs     map[sdk.Hash][]sdk.UTXO         // by script hash
	BlockTxs  map[int64][]sdk.Hash            // txids of the block at a height
	Calls     []string                        // names of the Host methods called, in order
	// Balances are what Balance answers for a script hash; a script hash
	// without one gets the sum of its UTXOs (confirmed: Height > 0).
	Balances map[sdk.Hash]sdk.Balance
}

var (
	_ sdk.Host        = (*FakeHost)(nil)
	_ sdk.BalanceHost = (*FakeHost)(nil)
)

// NewFakeHost returns a FakeHost whose chain is NewFake(n)'s.
func NewFakeHost(n int) *FakeHost {
	return &FakeHost{
		Chain:     NewFake(n).Chain,
		Histories: map[sdk.Hash][]sdk.HistoryEntry{},
		UTXOs:     map[sdk.Hash][]sdk.UTXO{},
		BlockTxs:  map[int64][]sdk.Hash{},
		Balances:  map[sdk.Hash]sdk.Balance{},
	}
}

// Lock locks h's fields for a test to change them.
func (h *FakeHost) Lock() { h.mu.Lock() }

// Unlock undoes Lock.
func (h *FakeHost) Unlock() { h.mu.Unlock() }

func (h *FakeHost) begin(ctx context.Context, name string) error {
	h.mu.Lock()
	h.Calls = append(h.Calls, name)
	return ctx.Err()
}

func (h *FakeHost) head() (sdk.Head, error) {
	if len(h.Chain) == 0 {
		return sdk.Head{}, sdk.Errorf(sdk.KindUnavailable, "fake host has no blocks")
	}
	b := h.Chain[len(h.Chain)-1]
	return sdk.Head{Height: b.Height, Hash: b.Hash, Header: slices.Clone(b.Raw)}, nil
}

// Tip implements sdk.Host.
func (h *FakeHost) Tip(ctx context.Context) (sdk.Head, error) {
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Tip"); err != nil {
		return sdk.Head{}, err
	}
	return h.head()
}

// Headers implements sdk.Host.
func (h *FakeHost) Headers(ctx context.Context, start int64, count int) ([][]byte, error) {
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Headers"); err != nil {
		return nil, err
	}
	if start < 0 {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "start %d < 0", start)
	}
	var out [][]byte
	for i := start; i < int64(len(h.Chain)) && len(out) < min(count, sdk.MaxHostHeaders); i++ {
		out = append(out, slices.Clone(h.Chain[i].Raw))
	}
	return out, nil
}

// History implements sdk.Host; the cursor is the offset of the next entry.
func (h *FakeHost) History(ctx context.Context, sh sdk.Hash, cursor string, limit int) ([]sdk.HistoryEntry, string, error) {
	defer h.mu.Unlock()
	if err := h.begin(ctx, "History"); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = sdk.DefaultHistoryPage
	}
	limit = min(limit, sdk.MaxHistoryPage)
	off := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", sdk.Errorf(sdk.KindInvalidArgument, "bad history cursor %q", cursor)
		}
		off = n
	}
	all := h.Histories[sh]
	if off >= len(all) {
		return nil, "", nil
	}
	end := min(off+limit, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return slices.Clone(all[off:end]), next, nil
}

// Unspent implements sdk.Host.
func (h *FakeHost) Unspent(ctx context.Context, sh sdk.Hash) ([]sdk.UTXO, error) {
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Unspent"); err != nil {
		return nil, err
	}
	return slices.Clone(h.UTXOs[sh]), nil
}

// Balance implements sdk.BalanceHost from Balances, else from UTXOs.
func (h *FakeHost) Balance(ctx context.Context, sh sdk.Hash) (sdk.Balance, error) {
	defer h.mu.Unlock()
	if err := h.begin(ctx, "Balance"); err != nil {
		return sdk.Balance{}, err
	}
	if b, ok := h.Balances[sh]; ok {
		return b, nil
	}
	var b sdk.Balance
	for _, u := range h.UTXOs[sh] {
		if u.Height > 0 {
			b.Confirmed += u.Value
		} else {
			b.Unconfirmed += u.Value
		}
	}
	return b, nil
}

// TxMerkle implements sdk.Host from BlockTxs.
func (h *FakeHost) TxMerkle(ctx context.Context, txid sdk.Hash, height int64) (sdk.TxMerkle, error) {
	defer h.mu.Unlock()
	if err := h.begin(ctx, "TxMerkle"); err != nil {
		return sdk.TxMerkle{}, err
	}
	txids, ok := h.BlockTxs[height]
	if !ok {
		return sdk.TxMerkle{}, sdk.Errorf(sdk.KindNotFound, "no block at height %d", height)
	}
	pos := slices.Index(txids, txid)
	if pos < 0 {
		return sdk.TxMerkle{}, sdk.Errorf(sdk.KindNotFound, "tx %s is not in block %d", txid, height)
	}
	br, root := MerkleBranch(txids, pos)
	return sdk.TxMerkle{Pos: pos, Branch: br, Root: root}, nil
}

// Events implements sdk.Host: the current tip first, then every event
// passed to Publish, until ctx is done.
func (h *FakeHost) Events(ctx context.Context, yield func(sdk.BlockEvent) error) error {
	ch := make(chan sdk.BlockEvent, 16)
	err := h.begin(ctx, "Events")
	var cur sdk.Head
	if err == nil {
		cur, err = h.head()
	}
	if err == nil {
		if h.subs == nil {
			h.subs = map[chan sdk.BlockEvent]struct{}{}
		}
		h.subs[ch] = struct{}{}
	}
	h.mu.Unlock()
	if err != nil {
		return err
	}
	defer func() { h.mu.Lock(); delete(h.subs, ch); h.mu.Unlock() }()
	if err := yield(sdk.BlockEvent{Head: cur}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-ch:
			if err := yield(ev); err != nil {
				return err
			}
		}
	}
}

// Subscribers returns the number of running Events calls.
func (h *FakeHost) Subscribers() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.subs) }

// Publish appends a block with raw header header to the chain (its hash is
// the double SHA-256 of header) and sends the event to every running Events
// call (dropped for a subscriber whose 16-event buffer is full). It returns
// the event.
func (h *FakeHost) Publish(header []byte) sdk.BlockEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := sdk.Block{Height: int64(len(h.Chain)), Hash: DoubleSHA256(header), Raw: slices.Clone(header)}
	h.Chain = append(h.Chain, b)
	ev := sdk.BlockEvent{Head: sdk.Head{Height: b.Height, Hash: b.Hash, Header: slices.Clone(header)}}
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
	return ev
}

// MerkleBranch returns the Bitcoin merkle branch of leaves[pos] and the
// root (an odd last node is paired with itself), for checking host answers.
func MerkleBranch(leaves []sdk.Hash, pos int) ([]sdk.Hash, sdk.Hash) {
	if len(leaves) == 0 {
		return nil, sdk.Hash{}
	}
	row := slices.Clone(leaves)
	var branch []sdk.Hash
	for len(row) > 1 {
		if len(row)%2 == 1 {
			row = append(row, row[len(row)-1])
		}
		branch = append(branch, row[pos^1])
		next := make([]sdk.Hash, len(row)/2)
		for i := range next {
			next[i] = DoubleSHA256(append(row[2*i][:], row[2*i+1][:]...))
		}
		row, pos = next, pos/2
	}
	return branch, row[0]
}
