package proof

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/sdk"
)

// Sidechain reads the sidechain (the chain amberd indexes). TxMerkle
// returns the get_merkle branch (display hex) and position of txid in the
// block at height; a transaction that is not in that block is a
// KindNotFound error. Header returns the raw 80-byte header at height.
type Sidechain interface {
	TxMerkle(ctx context.Context, txid sdk.Hash, height int64) (branch []string, pos int, err error)
	Header(ctx context.Context, height int64) ([]byte, error)
}

// Mainchain reads the mainchain node (*mainchain.Client implements it).
type Mainchain interface {
	BlockHash(ctx context.Context, height int64) (sdk.Hash, error)
	Block(ctx context.Context, hash sdk.Hash) (mainchain.Block, error)
}

// Index finds where h* was accepted (*store.Store implements it).
type Index interface {
	Lookup(hstar sdk.Hash) (store.Entry, bool, error)
}

// Health says whether the mainchain node is known to be down
// (*follow.Follower implements it).
type Health interface {
	// MainDown returns why the node is down when the follower's last poll
	// failed to reach it, and nil when it is up (or not yet polled).
	MainDown() error
}

// DefaultMainTimeout bounds the mainchain calls of one request.
const DefaultMainTimeout = 10 * time.Second

// Builder answers bmm_merkle requests.
type Builder struct {
	Side      Sidechain
	Main      Mainchain
	Index     Index
	Sidechain uint8 // the plugin's sidechain number
	// MainTimeout bounds the mainchain calls of one request; default
	// DefaultMainTimeout.
	MainTimeout time.Duration
	// Health, when set, lets a request fail at once with DAEMON_ERROR
	// while the mainchain node is known to be down, instead of waiting
	// MainTimeout for it.
	Health Health
}

// Result is the JSON result of blockchain.transaction.bmm_merkle.
type Result struct {
	BlockHeight int64    `json:"block_height"`
	Merkle      []string `json:"merkle"`
	Pos         int      `json:"pos"`
	BMM         BMM      `json:"bmm"`
}

// BMM is the "bmm" member of Result.
type BMM struct {
	SidechainNumber int      `json:"sidechain_number"`
	CriticalHash    string   `json:"critical_hash"`
	MainBlockHash   string   `json:"main_block_hash"`
	MainHeight      int64    `json:"main_height"`
	MainHeader      string   `json:"main_header"`
	Coinbase        string   `json:"coinbase"`
	CoinbaseMerkle  []string `json:"coinbase_merkle"`
}

// Build answers bmm_merkle for p.
func (b *Builder) Build(ctx context.Context, p Params) (*Result, error) {
	header, err := b.Side.Header(ctx, p.Height)
	if err != nil {
		return nil, err
	}
	if len(header) != 80 {
		return nil, sdk.Errorf(sdk.KindInternal, "sidechain header at height %d has %d bytes", p.Height, len(header))
	}
	branch, pos, err := b.Side.TxMerkle(ctx, p.TxHash, p.Height)
	if sdk.KindOf(err) == sdk.KindNotFound {
		sent := p.Sent
		if sent == "" {
			sent = p.TxHash.String()
		}
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "tx %s not in block at height %s", sent, thousands(p.Height))
	}
	if err != nil {
		return nil, err
	}
	hstar := merkle.DoubleSHA256(header)
	noAccept := sdk.Errorf(sdk.KindInvalidArgument,
		"no BMM Accept for sidechain block %s at height %d (h* %s) on the mainchain for sidechain number %d",
		hstar, p.Height, hstar, b.Sidechain)
	e, ok, err := b.Index.Lookup(hstar)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noAccept
	}
	if b.Health != nil {
		if down := b.Health.MainDown(); down != nil {
			return nil, sdk.Errorf(sdk.KindUnavailable, "mainchain node is down (the last poll failed): %v", down)
		}
	}

	timeout := b.MainTimeout
	if timeout <= 0 {
		timeout = DefaultMainTimeout
	}
	mctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// onBest returns nil when e's block is the best-chain block at its
	// height, noAccept when it is not (reorganised away, or the best chain
	// got shorter: the follower will catch up), else the call's error.
	onBest := func() error {
		best, err := b.Main.BlockHash(mctx, e.MainHeight)
		switch {
		case mainchain.IsHeightOutOfRange(err):
			return noAccept
		case err != nil:
			return mainErr(ctx, "getblockhash", err)
		case best != e.MainHash:
			return noAccept
		}
		return nil
	}
	if err := onBest(); err != nil {
		return nil, err
	}
	blk, err := b.Main.Block(mctx, e.MainHash)
	if err != nil {
		if sdk.KindOf(err) == sdk.KindDaemon {
			// The node knew the block a moment ago; a node that lost it
			// (restarted with another chain) has another best chain too.
			if again := onBest(); again == noAccept {
				return nil, noAccept
			}
		}
		return nil, mainErr(ctx, "getblock", err)
	}
	// A reorg between the two calls must not let a block that just left
	// the best chain be served: check again after the fetch.
	if err := onBest(); err != nil {
		return nil, err
	}
	return b.result(p, branch, pos, hstar, e, blk)
}

func (b *Builder) result(p Params, branch []string, pos int, hstar sdk.Hash, e store.Entry, blk mainchain.Block) (*Result, error) {
	cb := blk.Transactions[0]
	accepts := bip301.ForSidechain(cb, b.Sidechain)
	if len(accepts) != 1 || sdk.Hash(accepts[0].HStar) != hstar {
		return nil, sdk.Errorf(sdk.KindInternal, "mainchain block %s does not hold exactly one BMM Accept, of %s, for sidechain %d: index out of step",
			blk.Hash, hstar, b.Sidechain)
	}
	ids := make([]sdk.Hash, len(blk.Transactions))
	for i, tx := range blk.Transactions {
		ids[i] = sdk.Hash(tx.TxHash())
	}
	cbBranch, root := merkle.Branch(ids, 0)
	if root != sdk.Hash(blk.Header.MerkleRoot) {
		return nil, sdk.Errorf(sdk.KindInternal, "mainchain block %s: merkle root mismatch", blk.Hash)
	}
	var hdr, cbRaw bytes.Buffer
	if err := blk.Header.Serialize(&hdr); err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "serialize mainchain header: %w", err)
	}
	// As the block carries it: with its witness (the witness reserved
	// value of a segwit block) when it has one. A client hashes the
	// non-witness serialisation for the txid (docs/bmm.md).
	if err := cb.Serialize(&cbRaw); err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "serialize coinbase: %w", err)
	}
	if branch == nil {
		branch = []string{}
	}
	return &Result{
		BlockHeight: p.Height,
		Merkle:      branch,
		Pos:         pos,
		BMM: BMM{
			SidechainNumber: int(b.Sidechain),
			CriticalHash:    hstar.String(),
			MainBlockHash:   blk.Hash.String(),
			MainHeight:      e.MainHeight,
			MainHeader:      hex.EncodeToString(hdr.Bytes()),
			Coinbase:        hex.EncodeToString(cbRaw.Bytes()),
			CoinbaseMerkle:  merkle.Display(cbBranch),
		},
	}, nil
}

// mainErr classifies a mainchain failure: a JSON-RPC error stays
// KindDaemon, anything else becomes KindUnavailable (both DAEMON_ERROR),
// unless the client's own context ended.
func mainErr(ctx context.Context, call string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch sdk.KindOf(err) {
	case sdk.KindDaemon:
		return err
	default:
		return sdk.Errorf(sdk.KindUnavailable, "mainchain node: %s: %w", call, err)
	}
}

// Verify checks r the way a client does (docs/bmm.md): the sidechain branch
// leads from txid to the merkle root of sideHeader, the double SHA-256 of
// sideHeader is critical_hash, the coinbase holds a BMM Accept of
// sidechain number sc for it, the coinbase branch leads to main_header's
// merkle root and main_header hashes to main_block_hash. Tests and tools use
// it; the server does not need it.
func Verify(r *Result, txid sdk.Hash, sideHeader []byte, sc uint8) error {
	return verify(r, txid, sideHeader, sc)
}

var errVerify = errors.New("bmm proof does not verify")

func fail(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errVerify, fmt.Sprintf(format, args...))
}
