package regtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/wire"
)

// Typed helpers over Call and Batch for the calls tests need.

func decode[T any](raw json.RawMessage, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode result: %w", err)
	}
	return v, nil
}

func parseHashes(ss []string) ([]sdk.Hash, error) {
	out := make([]sdk.Hash, len(ss))
	for i, s := range ss {
		h, err := sdk.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// Generate mines n blocks paying the node's --miningaddr and returns their
// hashes.
func (c *Client) Generate(ctx context.Context, n int) ([]sdk.Hash, error) {
	ss, err := decode[[]string](c.Call(ctx, "generate", n))
	if err != nil {
		return nil, err
	}
	return parseHashes(ss)
}

// GetBlockCount returns the height of the best chain tip.
func (c *Client) GetBlockCount(ctx context.Context) (int64, error) {
	return decode[int64](c.Call(ctx, "getblockcount"))
}

// GetBestBlockHash returns the hash of the best chain tip.
func (c *Client) GetBestBlockHash(ctx context.Context) (sdk.Hash, error) {
	s, err := decode[string](c.Call(ctx, "getbestblockhash"))
	if err != nil {
		return sdk.Hash{}, err
	}
	return sdk.ParseHash(s)
}

// GetBlockHash returns the hash of the best-chain block at height.
func (c *Client) GetBlockHash(ctx context.Context, height int64) (sdk.Hash, error) {
	s, err := decode[string](c.Call(ctx, "getblockhash", height))
	if err != nil {
		return sdk.Hash{}, err
	}
	return sdk.ParseHash(s)
}

// GetBlock fetches a block with "getblock hash 0" and decodes it.
func (c *Client) GetBlock(ctx context.Context, hash sdk.Hash) (*wire.MsgBlock, error) {
	s, err := decode[string](c.Call(ctx, "getblock", hash.String(), 0))
	if err != nil {
		return nil, err
	}
	return decodeBlock(s)
}

// GetBlocks fetches many blocks in one batch, in the order of hashes.
func (c *Client) GetBlocks(ctx context.Context, hashes []sdk.Hash) ([]*wire.MsgBlock, error) {
	reqs := make([]Request, len(hashes))
	for i, h := range hashes {
		reqs[i] = Request{Method: "getblock", Params: []any{h.String(), 0}}
	}
	rs, err := c.Batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]*wire.MsgBlock, len(rs))
	for i, r := range rs {
		s, err := decode[string](r.Result, r.Err)
		if err != nil {
			return nil, fmt.Errorf("getblock %s: %w", hashes[i], err)
		}
		if out[i], err = decodeBlock(s); err != nil {
			return nil, fmt.Errorf("getblock %s: %w", hashes[i], err)
		}
	}
	return out, nil
}

// GetBlockHashes returns the hashes of the best-chain blocks from start to
// end inclusive, in one batch.
func (c *Client) GetBlockHashes(ctx context.Context, start, end int64) ([]sdk.Hash, error) {
	if end < start {
		return nil, nil
	}
	reqs := make([]Request, 0, end-start+1)
	for h := start; h <= end; h++ {
		reqs = append(reqs, Request{Method: "getblockhash", Params: []any{h}})
	}
	rs, err := c.Batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Hash, len(rs))
	for i, r := range rs {
		s, err := decode[string](r.Result, r.Err)
		if err == nil {
			out[i], err = sdk.ParseHash(s)
		}
		if err != nil {
			return nil, fmt.Errorf("getblockhash %d: %w", start+int64(i), err)
		}
	}
	return out, nil
}

func decodeBlock(s string) (*wire.MsgBlock, error) {
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("block hex: %w", err)
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	return &b, nil
}

// TxHex returns the serialization of tx (with witness data) in hex.
func TxHex(tx *wire.MsgTx) string {
	var buf bytes.Buffer
	buf.Grow(tx.SerializeSize())
	_ = tx.Serialize(&buf) // writing to a bytes.Buffer cannot fail
	return hex.EncodeToString(buf.Bytes())
}

// SendRawTx submits tx and returns the txid the daemon reports.
func (c *Client) SendRawTx(ctx context.Context, tx *wire.MsgTx) (sdk.Hash, error) {
	s, err := decode[string](c.Call(ctx, "sendrawtransaction", TxHex(tx)))
	if err != nil {
		return sdk.Hash{}, err
	}
	return sdk.ParseHash(s)
}

// SendRawTxs submits txs in order in one batch. It returns the txids of the
// accepted prefix and the first rejection, wrapped with its index.
func (c *Client) SendRawTxs(ctx context.Context, txs []*wire.MsgTx) ([]sdk.Hash, error) {
	reqs := make([]Request, len(txs))
	for i, tx := range txs {
		reqs[i] = Request{Method: "sendrawtransaction", Params: []any{TxHex(tx)}}
	}
	rs, err := c.Batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Hash, 0, len(rs))
	for i, r := range rs {
		s, err := decode[string](r.Result, r.Err)
		if err == nil {
			var h sdk.Hash
			if h, err = sdk.ParseHash(s); err == nil {
				out = append(out, h)
				continue
			}
		}
		return out, fmt.Errorf("sendrawtransaction %d/%d (%s): %w", i+1, len(txs), txs[i].TxHash(), err)
	}
	return out, nil
}

// GetRawTransaction fetches a transaction (confirmed ones need --txindex,
// which StartNode sets).
func (c *Client) GetRawTransaction(ctx context.Context, txid sdk.Hash) (*wire.MsgTx, error) {
	s, err := decode[string](c.Call(ctx, "getrawtransaction", txid.String(), 0))
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("tx hex: %w", err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("tx: %w", err)
	}
	return &tx, nil
}

// RawMempool returns the txids in the daemon's mempool (unordered).
func (c *Client) RawMempool(ctx context.Context) ([]sdk.Hash, error) {
	ss, err := decode[[]string](c.Call(ctx, "getrawmempool"))
	if err != nil {
		return nil, err
	}
	return parseHashes(ss)
}

// InvalidateBlock marks a block invalid; its transactions return to the
// mempool.
func (c *Client) InvalidateBlock(ctx context.Context, hash sdk.Hash) error {
	_, err := c.Call(ctx, "invalidateblock", hash.String())
	return err
}

// ReconsiderBlock undoes InvalidateBlock.
func (c *Client) ReconsiderBlock(ctx context.Context, hash sdk.Hash) error {
	_, err := c.Call(ctx, "reconsiderblock", hash.String())
	return err
}

// AddNode runs "addnode addr cmd" (cmd is "add", "remove" or "onetry").
func (c *Client) AddNode(ctx context.Context, addr, cmd string) error {
	_, err := c.Call(ctx, "addnode", addr, cmd)
	return err
}

// ConnectionCount returns the number of connected peers.
func (c *Client) ConnectionCount(ctx context.Context) (int, error) {
	return decode[int](c.Call(ctx, "getconnectioncount"))
}
