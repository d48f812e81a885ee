package hostsvc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/sdk"
)

// headerLen is the size of a raw block header in the index.
const headerLen = 80

// Index is what Server reads; *index.Index satisfies it.
type Index interface {
	Tip() (height int64, hash sdk.Hash, header []byte)
	Headers(ctx context.Context, start int64, count int) ([]byte, error)
	History(ctx context.Context, hx index.HashX, limit int) ([]index.Confirmed, []index.MempoolEntry, error)
	MempoolHistory(hx index.HashX) []index.MempoolEntry
	ListUnspent(ctx context.Context, hx index.HashX) ([]index.UTXO, int, error)
	// Balance is blockchain.scripthash.get_balance's: the confirmed UTXOs'
	// sum and the mempool delta (may be negative).
	Balance(ctx context.Context, hx index.HashX) (confirmed, unconfirmed int64, nUTXOs int, err error)
	BlockTxids(ctx context.Context, height int64) ([]sdk.Hash, error)
}

// HistoryPager is the cursor read of a script's confirmed history: up to
// limit entries with tx number >= from, in tx-number order, and the tx
// number to continue from (0 when there are no more). When the Index
// implements it, History pages in bounded memory.
type HistoryPager interface {
	HistoryPage(ctx context.Context, hx index.HashX, from uint64, limit int) (page []index.Confirmed, next uint64, err error)
}

// DefaultFallbackHistoryLimit is Options.FallbackHistoryLimit's default.
const DefaultFallbackHistoryLimit = 100_000

// Options configures New. Index is required.
type Options struct {
	Index Index
	// FallbackHistoryLimit bounds the confirmed entries read for one
	// History page when Index has no HistoryPage (default
	// DefaultFallbackHistoryLimit); larger histories are refused.
	FallbackHistoryLimit int
	Logger               *slog.Logger
}

// Server implements sdk.Host over the index. It is safe for concurrent
// use; Close ends the event streams.
type Server struct {
	ix       Index
	pager    HistoryPager // nil: fallback paging
	fallback int
	log      *slog.Logger

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	last   sdk.Hash // tip hash of the last published event
	closed chan struct{}
	once   sync.Once
}

var (
	_ sdk.Host        = (*Server)(nil)
	_ sdk.BalanceHost = (*Server)(nil)
)

// New returns a Server for opts.
func New(opts Options) *Server {
	if opts.FallbackHistoryLimit <= 0 {
		opts.FallbackHistoryLimit = DefaultFallbackHistoryLimit
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pager, _ := opts.Index.(HistoryPager)
	return &Server{
		ix: opts.Index, pager: pager, fallback: opts.FallbackHistoryLimit, log: log,
		subs: map[*subscriber]struct{}{}, closed: make(chan struct{}),
	}
}

// hashX is the index key of a script hash (sdk.ScriptHashOf order).
func hashX(sh sdk.Hash) index.HashX {
	var hx index.HashX
	copy(hx[:], sh[:])
	return hx
}

// internal wraps an unexpected index error.
func internal(what string, err error) error {
	return &sdk.Error{Kind: sdk.KindInternal, Message: what + ": " + err.Error(), Err: err}
}

// Tip implements sdk.Host.
func (s *Server) Tip(ctx context.Context) (sdk.Head, error) {
	if err := ctx.Err(); err != nil {
		return sdk.Head{}, err
	}
	h, hash, header := s.ix.Tip()
	if h < 0 || len(header) == 0 {
		return sdk.Head{}, sdk.Errorf(sdk.KindUnavailable, "the index has no blocks yet")
	}
	return sdk.Head{Height: h, Hash: hash, Header: slices.Clone(header)}, nil
}

// Headers implements sdk.Host (at most sdk.MaxHostHeaders).
func (s *Server) Headers(ctx context.Context, start int64, count int) ([][]byte, error) {
	if start < 0 {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "headers: start height %d < 0", start)
	}
	count = min(count, sdk.MaxHostHeaders)
	if count <= 0 {
		return nil, nil
	}
	raw, err := s.ix.Headers(ctx, start, count)
	if err != nil {
		return nil, internal("headers", err)
	}
	if len(raw)%headerLen != 0 {
		return nil, sdk.Errorf(sdk.KindInternal, "headers: index returned %d bytes, not a multiple of %d", len(raw), headerLen)
	}
	out := make([][]byte, 0, len(raw)/headerLen)
	for len(raw) > 0 {
		out = append(out, raw[:headerLen:headerLen])
		raw = raw[headerLen:]
	}
	return out, nil
}

// Unspent implements sdk.Host.
func (s *Server) Unspent(ctx context.Context, sh sdk.Hash) ([]sdk.UTXO, error) {
	us, _, err := s.ix.ListUnspent(ctx, hashX(sh))
	if err != nil {
		return nil, internal("unspent", err)
	}
	out := make([]sdk.UTXO, len(us))
	for i, u := range us {
		out[i] = sdk.UTXO{TxHash: u.TxHash, TxPos: u.TxPos, Height: u.Height, Value: u.Value}
	}
	return out, nil
}

// Balance implements sdk.BalanceHost with Electrum's get_balance
// semantics: confirmed counts outputs spent in the mempool, unconfirmed
// deducts them.
func (s *Server) Balance(ctx context.Context, sh sdk.Hash) (sdk.Balance, error) {
	c, u, _, err := s.ix.Balance(ctx, hashX(sh))
	if err != nil {
		return sdk.Balance{}, internal("balance", err)
	}
	return sdk.Balance{Confirmed: c, Unconfirmed: u}, nil
}

// TxMerkle implements sdk.Host.
func (s *Server) TxMerkle(ctx context.Context, txid sdk.Hash, height int64) (sdk.TxMerkle, error) {
	if height < 0 {
		return sdk.TxMerkle{}, sdk.Errorf(sdk.KindInvalidArgument, "tx merkle: height %d < 0", height)
	}
	txids, err := s.ix.BlockTxids(ctx, height)
	if errors.Is(err, index.ErrBlockNotFound) {
		return sdk.TxMerkle{}, sdk.Errorf(sdk.KindNotFound, "no indexed block at height %d", height)
	}
	if err != nil {
		return sdk.TxMerkle{}, internal("tx merkle", err)
	}
	pos := slices.Index(txids, txid)
	if pos < 0 {
		return sdk.TxMerkle{}, sdk.Errorf(sdk.KindNotFound, "tx %s is not in the block at height %d", txid, height)
	}
	br, root := merkle.Branch(txids, pos)
	return sdk.TxMerkle{Pos: pos, Branch: br, Root: root}, nil
}
