package mainchain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// Caller is the part of *daemonrpc.Client that Client uses.
type Caller interface {
	Call(ctx context.Context, method string, params ...any) (json.RawMessage, error)
}

// Block is a decoded mainchain block with its hash.
type Block struct {
	Hash sdk.Hash
	*wire.MsgBlock
}

// Client reads the mainchain through a Caller.
type Client struct {
	rpc Caller
}

// New returns a Client over c.
func New(c Caller) *Client { return &Client{rpc: c} }

// DefaultPort is the port assumed for a mainchain_url without one.
const DefaultPort = 8332

// Dial parses url (user:pass@host[:port], see daemonrpc.ParseURL) and returns a
// Client over a new daemonrpc.Client and that daemonrpc.Client (to Close).
func Dial(url string, log *slog.Logger) (*Client, *daemonrpc.Client, error) {
	ep, err := daemonrpc.ParseURL(url, DefaultPort, false)
	if err != nil {
		return nil, nil, err
	}
	rc, err := daemonrpc.New(daemonrpc.Options{URLs: []daemonrpc.Endpoint{ep}, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return New(rc), rc, nil
}

func internal(what string, err error) error {
	return sdk.Errorf(sdk.KindInternal, "mainchain %s: %w", what, err)
}

// BlockCount returns the height of the node's best chain.
func (c *Client) BlockCount(ctx context.Context) (int64, error) {
	raw, err := c.rpc.Call(ctx, "getblockcount")
	if err != nil {
		return 0, err
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, internal("getblockcount", err)
	}
	return n, nil
}

// BlockHash returns the hash of the best-chain block at height.
func (c *Client) BlockHash(ctx context.Context, height int64) (sdk.Hash, error) {
	raw, err := c.rpc.Call(ctx, "getblockhash", height)
	if err != nil {
		return sdk.Hash{}, err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return sdk.Hash{}, internal("getblockhash", err)
	}
	h, err := sdk.ParseHash(s)
	if err != nil {
		return sdk.Hash{}, internal("getblockhash", err)
	}
	return h, nil
}

// Block fetches and decodes the block with the given hash. It checks that
// the header hashes to hash.
func (c *Client) Block(ctx context.Context, hash sdk.Hash) (Block, error) {
	raw, err := c.rpc.Call(ctx, "getblock", hash.String(), 0)
	if err != nil {
		return Block{}, err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return Block{}, internal("getblock", err)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return Block{}, internal("getblock", err)
	}
	var mb wire.MsgBlock
	if err := mb.Deserialize(bytes.NewReader(b)); err != nil {
		return Block{}, internal("getblock", err)
	}
	if got := sdk.Hash(mb.BlockHash()); got != hash {
		return Block{}, internal("getblock", fmt.Errorf("asked for block %s, got %s", hash, got))
	}
	if len(mb.Transactions) == 0 {
		return Block{}, internal("getblock", fmt.Errorf("block %s has no transactions", hash))
	}
	return Block{Hash: hash, MsgBlock: &mb}, nil
}
