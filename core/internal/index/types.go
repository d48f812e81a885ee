package index

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"time"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// HashX is the index key of a script: the first 11 bytes of
// sha256(scriptPubKey) (the un-reversed digest).
type HashX [11]byte

// HashXFromScript returns the HashX of a scriptPubKey.
func HashXFromScript(script []byte) HashX {
	d := sha256.Sum256(script)
	var h HashX
	copy(h[:], d[:11])
	return h
}

// Confirmed is one confirmed history entry.
type Confirmed struct {
	TxHash sdk.Hash
	Height int64
}

// MempoolEntry is one unconfirmed history entry. Height is 0, or -1 when the
// transaction spends an output of another mempool transaction.
type MempoolEntry struct {
	TxHash sdk.Hash
	Height int64
	Fee    int64 // satoshis
}

// UTXO is an unspent output of a script. Height 0 means unconfirmed.
type UTXO struct {
	TxHash sdk.Hash
	TxPos  uint32
	Height int64
	Value  int64
}

// FeeBin is one pair of the compact fee histogram.
type FeeBin struct {
	Rate  float64 // sat/vB
	VSize int64
}

var (
	// ErrHistoryTooLarge: the confirmed history reached the caller's limit.
	ErrHistoryTooLarge = errors.New("history too large")
	// ErrBlockNotFound: no indexed block at that height.
	ErrBlockNotFound = errors.New("block not found")
	// ErrHalted: following the chain stopped (see Status.Error).
	ErrHalted = errors.New("index halted")
)

// Chain is what the index needs from the daemon plugin (sdk.ChainBackend
// satisfies it).
type Chain interface {
	Tip(ctx context.Context) (sdk.Tip, error)
	BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error)
	Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error
	MempoolTxids(ctx context.Context) ([]sdk.Hash, error)
	MempoolTransactions(ctx context.Context, txids []sdk.Hash) ([][]byte, error)
}

// Options configures Open. Store, Chain and Genesis are required.
type Options struct {
	Store   store.Store
	Chain   Chain
	Genesis sdk.Hash
	// ReorgLimit is the number of recent blocks with undo data (default 200).
	ReorgLimit int
	// PollInterval between tip and mempool polls (default 5s). When the
	// Chain is also an sdk.ChainWatcher, its events wake the index early.
	PollInterval time.Duration
	// NoChainEvents: poll only, even when the Chain can push events.
	NoChainEvents bool
	// HistogramRefresh is the minimum age of the fee histogram before it is
	// rebuilt after a mempool round (default 120s).
	HistogramRefresh time.Duration
	// HistogramBinSize is the first bin size in vbytes (default 30,000).
	HistogramBinSize int64
	// BatchBlocks caps the blocks per commit during a sync (0: no cap but
	// SyncCacheBytes). Once caught up every block is its own commit.
	BatchBlocks int
	// SyncCacheBytes bounds what the initial sync holds in memory before a
	// commit (config cache_mb; default DefaultSyncCacheBytes). Each batch
	// closes at a third of it: the batch being prepared, the one being
	// committed and the store's copy of it.
	SyncCacheBytes int64
	// FetchBlocks is the number of blocks per Chain.Blocks call (default 200).
	FetchBlocks int
	// PrefetchBytes bounds the raw size of fetched blocks waiting to be
	// indexed (default 64 MiB).
	PrefetchBytes int64
	Logger        *slog.Logger
	// Notify is called from one goroutine at a time, in order: after each
	// committed block batch once caught up, after each reorg, and after each
	// mempool round that touched something. It must not block for long.
	Notify func(Event)
	// ProgressInterval between sync progress log lines (default 10s).
	ProgressInterval time.Duration
}

// Event reports a change of the index to subscribers.
type Event struct {
	Height  int64
	TipHash sdk.Hash
	Header  []byte // 80-byte tip header
	Touched map[HashX]struct{}
	Reorg   bool
	Mempool bool // the event comes from a mempool round only
}

// Status is a snapshot of the index's progress.
type Status struct {
	DBHeight     int64
	DBTip        sdk.Hash
	DaemonHeight int64
	Synced       bool // caught up with the daemon and first mempool round done
	TxCount      uint64
	MempoolTxs   int
	MempoolBytes int64
	ReorgLimit   int
	Reorgs       int64  // reorganisations handled since start
	Halted       bool   // following stopped (deep reorg, chain inconsistency)
	Error        string // why it halted, or the last daemon error
	// Commits counts the index's atomic store commits since start
	// (admin getinfo db_flush_count).
	Commits int64
	// ChainEvents counts the push hints received from the daemon plugin
	// (0 when it sends none and the index only polls).
	ChainEvents int64
	// Sync is the forward sync's pace: rates over the last minute, percent
	// and ETA by blocks.
	Sync SyncProgress
}

// DefaultSyncCacheBytes is Options.SyncCacheBytes when unset.
const DefaultSyncCacheBytes = 512 << 20

// The daemon plugin's interface satisfies Chain.
var _ Chain = sdk.ChainBackend(nil)
