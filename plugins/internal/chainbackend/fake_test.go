package chainbackend

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
)

// flavor selects which daemon the fake imitates.
type flavor int

const (
	core flavor = iota
	btcd
)

func (f flavor) String() string { return [...]string{"core", "btcd"}[f] }

// fakeChain is a chain of synthetic blocks: an 80-byte header carrying the
// height, followed by a few bytes, so each block has a distinct real hash.
type fakeChain struct {
	raw    [][]byte
	hashes []sdk.Hash
}

func newFakeChain(n int) *fakeChain {
	c := &fakeChain{}
	for h := range n {
		raw := make([]byte, 80+h%7+1)
		binary.LittleEndian.PutUint32(raw[76:], uint32(h)) // nonce = height
		first := sha256.Sum256(raw[:80])
		c.raw = append(c.raw, raw)
		c.hashes = append(c.hashes, sdk.Hash(sha256.Sum256(first[:])))
	}
	return c
}

func intParam(p []json.RawMessage, i int) int {
	var v int
	if i < len(p) {
		_ = json.Unmarshal(p[i], &v)
	}
	return v
}

// install serves the chain's RPCs the way the flavor does.
func (c *fakeChain) install(d *fakedaemon.Daemon, fl flavor) {
	tip := len(c.raw) - 1
	chain := map[flavor]string{core: "test", btcd: "testnet3"}[fl]
	d.Handle("getblockcount", fakedaemon.Constant(tip))
	d.Handle("getrawmempool", fakedaemon.Constant([]string{}))
	d.Handle("getrawtransaction", fakedaemon.Fail(-5, "No such mempool or blockchain transaction"))
	d.Handle("sendrawtransaction", fakedaemon.Fail(-22, "TX decode failed"))
	d.Handle("getblockchaininfo", fakedaemon.Constant(map[string]any{
		"chain": chain, "blocks": tip, "bestblockhash": c.hashes[tip].String()}))
	d.Handle("getblockhash", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		h := intParam(p, 0)
		if h < 0 || h > tip {
			if fl == btcd {
				return nil, &fakedaemon.Error{Code: -1, Message: "Block number out of range"}
			}
			return nil, &fakedaemon.Error{Code: -8, Message: "Block height out of range"}
		}
		return c.hashes[h].String(), nil
	})
	d.Handle("getblock", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		var s string
		_ = json.Unmarshal(p[0], &s)
		for i, h := range c.hashes {
			if h.String() == s {
				return hex.EncodeToString(c.raw[i]), nil
			}
		}
		return nil, &fakedaemon.Error{Code: -5, Message: "Block not found"}
	})
	if fl == btcd {
		d.Handle("estimatesmartfee", func(p []json.RawMessage) (any, *fakedaemon.Error) {
			if len(p) == 0 {
				return nil, &fakedaemon.Error{Code: -32602, Message: "wrong number of params (expected between 1 and 2, received 0)"}
			}
			return nil, &fakedaemon.Error{Code: -32601, Message: "Method not found"}
		})
		d.Handle("getnetworkinfo", fakedaemon.Fail(-1, "Command unimplemented"))
		d.Handle("estimatefee", fakedaemon.Fail(-32600, "Invalid request: malformed"))
		d.Handle("getinfo", fakedaemon.Constant(map[string]any{"version": 240200, "relayfee": 0.00001}))
	} else {
		d.Handle("estimatesmartfee", func(p []json.RawMessage) (any, *fakedaemon.Error) {
			if len(p) == 0 {
				return nil, &fakedaemon.Error{Code: -1, Message: "estimatesmartfee conf_target ..."}
			}
			if intParam(p, 0) > 100 {
				return map[string]any{"errors": []string{"Insufficient data or no feerate found"}, "blocks": 2}, nil
			}
			return map[string]any{"feerate": float64(intParam(p, 0)) / 10000, "blocks": intParam(p, 0)}, nil
		})
		d.Handle("getnetworkinfo", fakedaemon.Constant(map[string]any{
			"version": 260000, "subversion": "/Satoshi:26.0.0/", "relayfee": 0.00002}))
	}
}

// newBackend configures a backend with fast retries against d.
func newBackend(t *testing.T, d *fakedaemon.Daemon, extra string) *Backend {
	t.Helper()
	b := New(slog.New(slog.DiscardHandler))
	b.initialDelay, b.maxDelay = time.Millisecond, 4*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Configure(ctx, []byte(fmt.Sprintf(`{"daemon_url":%q%s}`, d.URL(), extra))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	return b
}
