package sdk

import (
	"context"
	"crypto/sha256"
)

// Limits of one host service call. Larger requests are clamped, not
// refused: a plugin pages through longer ranges.
const (
	// MaxHostHeaders is the most headers one Host.Headers call returns.
	MaxHostHeaders = 2016
	// MaxHistoryPage is the most entries one Host.History page holds;
	// DefaultHistoryPage is used when the limit is 0 or less.
	MaxHistoryPage     = 10000
	DefaultHistoryPage = 1000
)

// Head is a block at the tip of amberd's index.
type Head struct {
	Height int64
	Hash   Hash
	Header []byte // raw 80-byte block header
}

// BlockEvent reports a new tip of amberd's index.
type BlockEvent struct {
	Head
	// Reorg is set when the new tip replaced blocks of the previous chain:
	// heights at and below Height may have changed.
	Reorg bool
}

// HistoryEntry is one transaction of a script hash's history.
type HistoryEntry struct {
	TxHash Hash
	// Height is the block height; 0 for a mempool transaction, -1 for one
	// that spends unconfirmed outputs (Electrum's convention).
	Height int64
	Fee    int64 // satoshis, mempool entries only
}

// UTXO is an unspent output of a script hash. Height 0 means unconfirmed.
type UTXO struct {
	TxHash Hash
	TxPos  uint32
	Height int64
	Value  int64 // satoshis
}

// TxMerkle is the position of a transaction in its block and its merkle
// branch (Electrum's blockchain.transaction.get_merkle).
type TxMerkle struct {
	Pos    int
	Branch []Hash
	Root   Hash // the block's merkle root
}

// ScriptHashOf returns the script hash Electrum clients use for a
// scriptPubKey: sha256(script) in digest order, held in a Hash so that
// String gives Electrum's (byte-reversed) hex and ParseHash reads it.
func ScriptHashOf(script []byte) Hash { return Hash(sha256.Sum256(script)) }

// Host is what amberd offers to its plugins: reads of its index and its
// new-block events. A plugin receives one through HostAware.SetHost when the
// host offers services. Script hashes are as ScriptHashOf
// returns them (ParseHash of the hex an Electrum client sends).
//
// Errors are *Error values: KindNotFound for unknown blocks and
// transactions, KindInvalidArgument for a bad request or a stale cursor,
// KindUnavailable when the host is going away.
type Host interface {
	// Tip returns the tip of amberd's index.
	Tip(ctx context.Context) (Head, error)
	// Headers returns up to count raw headers from height start, at most
	// MaxHostHeaders, fewer (possibly none) at the tip.
	Headers(ctx context.Context, start int64, count int) ([][]byte, error)
	// History returns one page of scriptHash's history: confirmed entries
	// in chain order, then mempool entries. cursor is "" for the first page
	// and the returned next cursor afterwards; next is "" on the last page.
	// limit <= 0 means DefaultHistoryPage; it is clamped to MaxHistoryPage.
	// Pages are read at different times: a reorg or a transaction that
	// confirms between two pages may repeat or skip an entry.
	History(ctx context.Context, scriptHash Hash, cursor string, limit int) (entries []HistoryEntry, next string, err error)
	// Unspent returns the unspent outputs of scriptHash (confirmed in chain
	// order, then mempool ones), minus those spent in the mempool.
	Unspent(ctx context.Context, scriptHash Hash) ([]UTXO, error)
	// TxMerkle returns the position and merkle branch of txid in the block
	// at height.
	TxMerkle(ctx context.Context, txid Hash, height int64) (TxMerkle, error)
	// Events calls yield with the current tip, then with every new tip
	// until ctx is done, yield fails or the host stops; it returns the
	// reason (ctx.Err(), yield's error, or a KindUnavailable error). Events
	// are tip notifications: a consumer slower than the chain sees the
	// newest tip and may skip heights (fetch them with Headers).
	Events(ctx context.Context, yield func(BlockEvent) error) error
}

// FeeBin is one pair of amberd's compact mempool fee histogram (what
// mempool.get_fee_histogram sends): the bin's transactions pay at least Rate
// sat/vB, less than the previous bin's Rate, and weigh VSize virtual bytes
// together.
type FeeBin struct {
	Rate  float64 // sat/vB
	VSize int64   // virtual bytes
}

// MempoolStats is the size of amberd's view of the mempool.
type MempoolStats struct {
	Txs   int64 // number of transactions
	Bytes int64 // total serialized size
}

// FeeHost is the optional fee host service: amberd's mempool fee data. The
// Host handed to SetHost implements it (h.(sdk.FeeHost)); a host that does
// not serve it answers KindUnimplemented.
type FeeHost interface {
	// FeeHistogram returns the compact fee histogram, highest rate first.
	// It leaves out the cheapest transactions that do not fill a bin, so
	// a small mempool has an empty histogram.
	FeeHistogram(ctx context.Context) ([]FeeBin, error)
	// MempoolStats returns the number and total size of the mempool's
	// transactions.
	MempoolStats(ctx context.Context) (MempoolStats, error)
}

// Balance is a script hash's balance as Electrum's
// blockchain.scripthash.get_balance reports it, in satoshis.
type Balance struct {
	// Confirmed is the sum of the confirmed unspent outputs; outputs
	// spent by mempool transactions are still counted here.
	Confirmed int64
	// Unconfirmed is the mempool's net effect: outputs to the script in
	// mempool transactions minus the script's outputs (confirmed or not)
	// spent by mempool transactions. It is negative when the mempool
	// spends more than it pays in. Confirmed+Unconfirmed is what is left
	// once the mempool confirms.
	Unconfirmed int64
}

// BalanceHost is the Balance host service. The Host a plugin receives
// implements it (h.(sdk.BalanceHost)); an amberd older than the service
// answers KindUnimplemented.
type BalanceHost interface {
	// Balance returns scriptHash's balance (a script hash as ScriptHashOf
	// returns it), with Electrum's semantics. Unspent cannot rebuild it:
	// Unspent leaves out the outputs spent in the mempool, whose value
	// Confirmed still counts and Unconfirmed deducts.
	Balance(ctx context.Context, scriptHash Hash) (Balance, error)
}
