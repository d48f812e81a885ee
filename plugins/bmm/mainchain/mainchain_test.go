package mainchain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

type fakeCaller map[string]any // "method params..." -> result (error values are returned)

func (f fakeCaller) Call(_ context.Context, method string, params ...any) (json.RawMessage, error) {
	key := fmt.Sprint(append([]any{method}, params...)...)
	v, ok := f[key]
	if !ok {
		return nil, sdk.DaemonError(-8, "unknown "+key)
	}
	if err, ok := v.(error); ok {
		return nil, err
	}
	return json.Marshal(v)
}

func blockHex(t *testing.T, b *wire.MsgBlock) string {
	var buf bytes.Buffer
	if err := b.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(buf.Bytes())
}

func TestClient(t *testing.T) {
	gen := chaincfg.RegressionNetParams.GenesisBlock
	gh := sdk.Hash(gen.BlockHash())
	other := sdk.Hash{1}
	f := fakeCaller{"getblockcount": 7}
	f[fmt.Sprint("getblock", gh.String(), 0)] = blockHex(t, gen)
	f[fmt.Sprint("getblock", other.String(), 0)] = blockHex(t, gen)
	f[fmt.Sprint("getblockhash", int64(0))] = gh.String()
	f[fmt.Sprint("getblockhash", int64(1))] = "zz"
	f[fmt.Sprint("getblockhash", int64(2))] = sdk.Errorf(sdk.KindUnavailable, "down")
	c := New(f)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if n, err := c.BlockCount(ctx); err != nil || n != 7 {
		t.Fatalf("BlockCount = %d, %v", n, err)
	}
	if h, err := c.BlockHash(ctx, 0); err != nil || h != gh {
		t.Fatalf("BlockHash(0) = %s, %v", h, err)
	}
	if _, err := c.BlockHash(ctx, 1); sdk.KindOf(err) != sdk.KindInternal {
		t.Fatalf("BlockHash(1) error %v, want internal", err)
	}
	if _, err := c.BlockHash(ctx, 2); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("BlockHash(2) error %v, want unavailable", err)
	}
	b, err := c.Block(ctx, gh)
	if err != nil || b.Hash != gh || len(b.Transactions) != 1 {
		t.Fatalf("Block = %+v, %v", b, err)
	}
	if _, err := c.Block(ctx, other); sdk.KindOf(err) != sdk.KindInternal {
		t.Fatalf("Block with a mismatching hash: %v, want internal", err)
	}
}

func TestDialRejectsBadURL(t *testing.T) {
	if _, _, err := Dial("127.0.0.1:1", nil); err == nil {
		t.Fatal("URL without credentials accepted")
	}
	c, rc, err := Dial("u:p@127.0.0.1:1", nil)
	if err != nil || c == nil {
		t.Fatalf("Dial: %v", err)
	}
	rc.Close()
}

func TestIsHeightOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"bitcoind", sdk.DaemonError(-8, "Block height out of range"), true},
		{"btcd", sdk.DaemonError(-1, "Block number out of range"), true},
		{"btcd wrapped", fmt.Errorf("getblockhash 9: %w", sdk.DaemonError(-1, "Block number out of range")), true},
		{"btcd other -1", sdk.DaemonError(-1, "Command unimplemented"), false},
		{"not found", sdk.DaemonError(-5, "Block not found"), false},
		{"unavailable", sdk.Errorf(sdk.KindUnavailable, "connection refused"), false},
		{"plain", fmt.Errorf("out of range"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := IsHeightOutOfRange(tc.err); got != tc.want {
			t.Errorf("%s: IsHeightOutOfRange(%v) = %v", tc.name, tc.err, got)
		}
	}
	if !IsBlockNotFound(sdk.DaemonError(-5, "Block not found")) || IsBlockNotFound(sdk.DaemonError(-8, "x")) {
		t.Error("IsBlockNotFound")
	}
}
