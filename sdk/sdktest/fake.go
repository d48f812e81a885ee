package sdktest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sync"

	"github.com/amber-electrum/amber/sdk"
)

// Fake is an in-memory ChainBackend: a chain of synthetic blocks, a mempool
// and canned daemon answers. Its zero value is an empty, unconfigured chain;
// NewFake builds one with blocks. Fields may be changed between calls under
// Lock/Unlock (or before first use). It is safe for concurrent use.
type Fake struct {
	mu sync.Mutex

	Desc    sdk.Description
	Chain   []sdk.Block         // Chain[i] is the block at height i
	Txs     map[sdk.Hash][]byte // Transaction answers (JSON) by txid
	Mempool map[sdk.Hash][]byte // raw mempool transactions by txid
	Info    sdk.DaemonInfo      // DaemonInfo answer; RelayFee answers RelayFee
	Fee     float64             // EstimateFee answer
	Fail    map[string]error    // method name -> error to return instead
	Config  []byte              // last Configure argument
	URLs    []string            // last SetDaemonURLs argument
	Closed  bool                // Shutdown was called
	Sent    []string            // raw transactions passed to Broadcast
	// Optional interfaces (sdk/chain_ext.go), listed in NewFake's capabilities.
	Packages   [][]string        // packages passed to BroadcastPackage
	Rejects    map[string]string // raw tx hex -> reason BroadcastPackage rejects it with
	MempoolFee sdk.MempoolInfo   // MempoolInfo answer
	watchers   map[chan sdk.ChainEvent]bool
}

var _ sdk.ChainBackend = (*Fake)(nil)

// NewFake returns a Fake with n synthetic blocks (heights 0..n-1, each hash
// the double SHA-256 of its 80-byte raw "header") and a described identity.
func NewFake(n int) *Fake {
	f := &Fake{
		Desc: sdk.Description{
			Name:         "fake",
			Version:      "0.0.1",
			SDKVersion:   sdk.Version,
			Capabilities: []string{sdk.CapChainBackend, sdk.CapBroadcastPackage, sdk.CapMempoolInfo, sdk.CapChainEvents},
			Coin:         "Bitcoin",
			Network:      "regtest",
		},
		Txs:     map[sdk.Hash][]byte{},
		Mempool: map[sdk.Hash][]byte{},
		Info:    sdk.DaemonInfo{Version: 240200, Subversion: "/fake:0.24.2/", RelayFee: 0.00001},
		Fee:     0.0002,
		Rejects: map[string]string{},
		MempoolFee: sdk.MempoolInfo{MempoolMinFee: 0.00001, MinRelayTxFee: 0.00001,
			IncrementalRelayFee: 0.00001},
	}
	var prev sdk.Hash
	for h := range n {
		raw := make([]byte, 80)
		binary.LittleEndian.PutUint32(raw, 1)
		copy(raw[4:36], prev[:])
		binary.LittleEndian.PutUint64(raw[68:], uint64(h))
		b := sdk.Block{Height: int64(h), Hash: DoubleSHA256(raw), Raw: raw}
		f.Chain = append(f.Chain, b)
		prev = b.Hash
	}
	if n > 0 {
		f.Desc.GenesisHash = f.Chain[0].Hash
	}
	return f
}

// DoubleSHA256 returns sha256(sha256(b)) as a Hash (internal byte order).
func DoubleSHA256(b []byte) sdk.Hash {
	first := sha256.Sum256(b)
	return sdk.Hash(sha256.Sum256(first[:]))
}

// AddMempoolTx puts raw into the mempool and makes Transaction answer for it;
// it returns the txid.
func (f *Fake) AddMempoolTx(raw []byte) sdk.Hash {
	txid := DoubleSHA256(raw)
	js, _ := json.Marshal(hex.EncodeToString(raw))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Mempool[txid] = raw
	f.Txs[txid] = js
	return txid
}

// Lock locks f's fields for a test to change them.
func (f *Fake) Lock() { f.mu.Lock() }

// Unlock undoes Lock.
func (f *Fake) Unlock() { f.mu.Unlock() }

// begin locks f and returns the forced error for method, if any.
func (f *Fake) begin(ctx context.Context, method string) error {
	f.mu.Lock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.Fail[method]
}

// Describe implements sdk.ChainBackend.
func (f *Fake) Describe(ctx context.Context) (sdk.Description, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "Describe"); err != nil {
		return sdk.Description{}, err
	}
	d := f.Desc
	d.Capabilities = slices.Clone(d.Capabilities)
	return d, nil
}

// Configure implements sdk.ChainBackend.
func (f *Fake) Configure(ctx context.Context, config []byte) error {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "Configure"); err != nil {
		return err
	}
	f.Config = slices.Clone(config)
	return nil
}

// Tip implements sdk.ChainBackend.
func (f *Fake) Tip(ctx context.Context) (sdk.Tip, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "Tip"); err != nil {
		return sdk.Tip{}, err
	}
	if len(f.Chain) == 0 {
		return sdk.Tip{}, sdk.Errorf(sdk.KindUnavailable, "fake chain has no blocks")
	}
	b := f.Chain[len(f.Chain)-1]
	return sdk.Tip{Height: b.Height, Hash: b.Hash}, nil
}

// blockRange returns the blocks [start, start+count) that exist.
func (f *Fake) blockRange(start int64, count int) ([]sdk.Block, error) {
	if start < 0 || count < 0 {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "bad range start=%d count=%d", start, count)
	}
	end := min(start+int64(count), int64(len(f.Chain)))
	if start >= end {
		return nil, nil
	}
	return f.Chain[start:end], nil
}

// BlockHashes implements sdk.ChainBackend.
func (f *Fake) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "BlockHashes"); err != nil {
		return nil, err
	}
	bs, err := f.blockRange(start, count)
	if err != nil {
		return nil, err
	}
	hs := make([]sdk.Hash, len(bs))
	for i, b := range bs {
		hs[i] = b.Hash
	}
	return hs, nil
}

// Blocks implements sdk.ChainBackend. It does not hold the lock while
// yielding.
func (f *Fake) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	err := f.begin(ctx, "Blocks")
	var bs []sdk.Block
	if err == nil {
		bs, err = f.blockRange(start, count)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	for _, b := range bs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := yield(b); err != nil {
			return err
		}
	}
	return nil
}

// Transaction implements sdk.ChainBackend; verbose answers are not
// distinguished.
func (f *Fake) Transaction(ctx context.Context, txid sdk.Hash, _ bool) ([]byte, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "Transaction"); err != nil {
		return nil, err
	}
	js, ok := f.Txs[txid]
	if !ok {
		return nil, sdk.DaemonError(-5, "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.")
	}
	return slices.Clone(js), nil
}

// Broadcast implements sdk.ChainBackend: valid hex is accepted and its
// double SHA-256 returned as the txid, anything else is rejected.
func (f *Fake) Broadcast(ctx context.Context, rawTxHex string) (string, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "Broadcast"); err != nil {
		return "", err
	}
	raw, err := hex.DecodeString(rawTxHex)
	if err != nil || len(raw) == 0 {
		return "", &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -22, DaemonMessage: "TX decode failed",
			Message: "transaction rejected: TX decode failed"}
	}
	f.Sent = append(f.Sent, rawTxHex)
	return DoubleSHA256(raw).String(), nil
}

// MempoolTxids implements sdk.ChainBackend (sorted by txid).
func (f *Fake) MempoolTxids(ctx context.Context) ([]sdk.Hash, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "MempoolTxids"); err != nil {
		return nil, err
	}
	hs := make([]sdk.Hash, 0, len(f.Mempool))
	for h := range f.Mempool {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b sdk.Hash) int { return slices.Compare(a[:], b[:]) })
	return hs, nil
}

// MempoolTransactions implements sdk.ChainBackend.
func (f *Fake) MempoolTransactions(ctx context.Context, txids []sdk.Hash) ([][]byte, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "MempoolTransactions"); err != nil {
		return nil, err
	}
	out := make([][]byte, len(txids))
	for i, h := range txids {
		if raw, ok := f.Mempool[h]; ok {
			out[i] = slices.Clone(raw)
		}
	}
	return out, nil
}

// RelayFee implements sdk.ChainBackend.
func (f *Fake) RelayFee(ctx context.Context) (float64, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "RelayFee"); err != nil {
		return 0, err
	}
	return f.Info.RelayFee, nil
}

// EstimateFee implements sdk.ChainBackend.
func (f *Fake) EstimateFee(ctx context.Context, blocks int, _ string) (float64, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "EstimateFee"); err != nil {
		return 0, err
	}
	if blocks < 1 {
		return 0, sdk.Errorf(sdk.KindInvalidArgument, "blocks must be >= 1, got %d", blocks)
	}
	return f.Fee, nil
}

// DaemonInfo implements sdk.ChainBackend.
func (f *Fake) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "DaemonInfo"); err != nil {
		return sdk.DaemonInfo{}, err
	}
	return f.Info, nil
}

// SetDaemonURLs implements sdk.ChainBackend.
func (f *Fake) SetDaemonURLs(ctx context.Context, urls []string) error {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "SetDaemonURLs"); err != nil {
		return err
	}
	f.URLs = slices.Clone(urls)
	return nil
}

// Shutdown implements sdk.ChainBackend.
func (f *Fake) Shutdown(ctx context.Context) error {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "Shutdown"); err != nil {
		return err
	}
	f.Closed = true
	return nil
}
