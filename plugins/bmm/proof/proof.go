package proof

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/merkle"
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

	timeout := b.MainTimeout
	if timeout <= 0 {
		timeout = DefaultMainTimeout
	}
	mctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	best, err := b.Main.BlockHash(mctx, e.MainHeight)
	var de *sdk.Error
	if errors.As(err, &de) && de.Kind == sdk.KindDaemon && de.DaemonCode == -8 {
		return nil, noAccept // the best chain got shorter than the indexed block
	}
	if err != nil {
		return nil, mainErr(ctx, "getblockhash", err)
	}
	if best != e.MainHash {
		return nil, noAccept // reorganised away; the follower will catch up
	}
	blk, err := b.Main.Block(mctx, e.MainHash)
	if err != nil {
		return nil, mainErr(ctx, "getblock", err)
	}
	return b.result(p, branch, pos, hstar, e, blk)
}

func (b *Builder) result(p Params, branch []string, pos int, hstar sdk.Hash, e store.Entry, blk mainchain.Block) (*Result, error) {
	cb := blk.Transactions[0]
	found := slices.ContainsFunc(bip301.ForSidechain(cb, b.Sidechain), func(f bip301.Found) bool {
		return sdk.Hash(f.HStar) == hstar
	})
	if !found {
		return nil, sdk.Errorf(sdk.KindInternal, "mainchain block %s has no BMM Accept for %s: index out of step", blk.Hash, hstar)
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
	if err := cb.SerializeNoWitness(&cbRaw); err != nil {
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

// Verify checks r the way a client does (bmm.md): the sidechain branch
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
