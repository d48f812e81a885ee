package chainbackend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

var bg = context.Background()

func TestDescribeBeforeConfigure(t *testing.T) {
	b := New(nil)
	d, err := b.Describe(bg)
	if err != nil || d.Name != "bitcoind" || d.SDKVersion != sdk.Version || d.Coin != "" ||
		!slices.Contains(d.Capabilities, sdk.CapChainBackend) {
		t.Fatalf("got %+v, %v", d, err)
	}
	if _, err := b.Tip(bg); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("Tip before Configure: %v", err)
	}
}

func TestConfigure(t *testing.T) {
	for _, fl := range []flavor{core, btcd} {
		t.Run(fmt.Sprint(fl), func(t *testing.T) {
			d := fakedaemon.New(t)
			chain := newFakeChain(3)
			chain.install(d, fl)
			b := newBackend(t, d, `,"network":"testnet"`)
			desc, _ := b.Describe(bg)
			if desc.Coin != "Bitcoin" || desc.Network != "testnet" || desc.GenesisHash != chain.hashes[0] {
				t.Fatalf("got %+v", desc)
			}
			if got, want := slices.Contains(desc.Capabilities, sdk.CapEstimateSmartFee), fl == core; got != want {
				t.Fatalf("estimatesmartfee capability %v, want %v", got, want)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	for _, fl := range []flavor{core, btcd} {
		t.Run(fmt.Sprint(fl), func(t *testing.T) {
			d := fakedaemon.New(t)
			newFakeChain(9).install(d, fl)
			sdktest.ConformChain(t, sdktest.NewChain(t, newBackend(t, d, `,"batch_size":2`)))
		})
	}
}

func TestConfigureNetworkMismatch(t *testing.T) {
	d := fakedaemon.New(t)
	newFakeChain(2).install(d, core)
	b := New(nil)
	err := b.Configure(bg, []byte(fmt.Sprintf(`{"daemon_url":%q,"network":"regtest"}`, d.URL())))
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindInvalidArgument || !strings.Contains(e.Message, "network") {
		t.Fatalf("got %v", err)
	}
	if _, err := b.Tip(bg); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("a failed Configure left a client: %v", err)
	}
}

func TestConfigureWaitsThroughWarmup(t *testing.T) {
	d := fakedaemon.New(t)
	chain := newFakeChain(2)
	chain.install(d, core)
	n := 0
	d.Handle("getblockcount", func([]json.RawMessage) (any, *fakedaemon.Error) {
		if n++; n < 3 {
			return nil, &fakedaemon.Error{Code: -28, Message: "Loading block index..."}
		}
		return 1, nil
	})
	b := newBackend(t, d, "")
	if desc, _ := b.Describe(bg); desc.GenesisHash != chain.hashes[0] || n != 3 {
		t.Fatalf("got %+v after %d getblockcount calls", desc, n)
	}
}

func TestTipAndBlockHashes(t *testing.T) {
	for _, fl := range []flavor{core, btcd} {
		d := fakedaemon.New(t)
		chain := newFakeChain(12)
		chain.install(d, fl)
		b := newBackend(t, d, "")
		tip, err := b.Tip(bg)
		if err != nil || tip.Height != 11 || tip.Hash != chain.hashes[11] {
			t.Fatalf("Tip: %+v, %v", tip, err)
		}
		tests := []struct {
			start int64
			count int
			want  []sdk.Hash
		}{
			{0, 12, chain.hashes},
			{5, 3, chain.hashes[5:8]},
			{10, 50, chain.hashes[10:]}, // fewer at the tip
			{12, 5, nil},
			{3, 0, nil},
		}
		for _, tc := range tests {
			got, err := b.BlockHashes(bg, tc.start, tc.count)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("flavor %d BlockHashes(%d, %d) = %v, %v", fl, tc.start, tc.count, got, err)
			}
		}
		if _, err := b.BlockHashes(bg, -1, 2); sdk.KindOf(err) != sdk.KindInvalidArgument {
			t.Fatalf("negative start: %v", err)
		}
	}
}

func TestBlocks(t *testing.T) {
	d := fakedaemon.New(t)
	chain := newFakeChain(23)
	chain.install(d, core)
	b := newBackend(t, d, `,"batch_size":5`)
	tests := []struct {
		start int64
		count int
		want  int
	}{
		{0, 100, 23}, {0, 23, 23}, {4, 6, 6}, {20, 10, 3}, {23, 4, 0}, {7, 0, 0},
	}
	for _, tc := range tests {
		var got []sdk.Block
		err := b.Blocks(bg, tc.start, tc.count, func(blk sdk.Block) error {
			got = append(got, blk)
			return nil
		})
		if err != nil || len(got) != tc.want {
			t.Fatalf("Blocks(%d, %d): %d blocks, %v; want %d", tc.start, tc.count, len(got), err, tc.want)
		}
		for i, blk := range got {
			h := tc.start + int64(i)
			if blk.Height != h || blk.Hash != chain.hashes[h] || string(blk.Raw) != string(chain.raw[h]) {
				t.Fatalf("block %d: %+v", h, blk)
			}
		}
	}
	// yield's error stops the stream and is returned.
	stop := errors.New("enough")
	n := 0
	err := b.Blocks(bg, 0, 23, func(sdk.Block) error {
		if n++; n == 7 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 7 {
		t.Fatalf("got %v after %d blocks", err, n)
	}
}

func TestBlocksHashMismatch(t *testing.T) {
	d := fakedaemon.New(t)
	chain := newFakeChain(4)
	chain.install(d, core)
	chain.raw[2][0] ^= 1 // the daemon now serves a block that is not the one asked for
	b := newBackend(t, d, "")
	err := b.Blocks(bg, 0, 4, func(sdk.Block) error { return nil })
	if sdk.KindOf(err) != sdk.KindInternal || !strings.Contains(err.Error(), "height 2") {
		t.Fatalf("got %v", err)
	}
}

func TestTransactionAndBroadcast(t *testing.T) {
	d := fakedaemon.New(t)
	newFakeChain(2).install(d, core)
	var gotVerbose []int
	d.Handle("getrawtransaction", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		v := intParam(p, 1)
		gotVerbose = append(gotVerbose, v)
		if v == 1 {
			return map[string]any{"txid": "x", "hex": "00"}, nil
		}
		return "0100", nil
	})
	d.Handle("sendrawtransaction", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		var s string
		_ = json.Unmarshal(p[0], &s)
		if s == "bad" {
			return nil, &fakedaemon.Error{Code: -26, Message: "mandatory-script-verify-flag-failed"}
		}
		return strings.Repeat("ab", 32), nil
	})
	b := newBackend(t, d, "")
	raw, err := b.Transaction(bg, sdk.Hash{1}, false)
	if err != nil || string(raw) != `"0100"` {
		t.Fatalf("raw: %s, %v", raw, err)
	}
	raw, err = b.Transaction(bg, sdk.Hash{1}, true)
	if err != nil || !strings.Contains(string(raw), `"txid":"x"`) || !slices.Equal(gotVerbose, []int{0, 1}) {
		t.Fatalf("verbose: %s, %v, verbosity sent %v", raw, err, gotVerbose)
	}
	txid, err := b.Broadcast(bg, "good")
	if err != nil || txid != strings.Repeat("ab", 32) {
		t.Fatalf("broadcast: %q, %v", txid, err)
	}
	_, err = b.Broadcast(bg, "bad")
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindRejected || e.DaemonCode != -26 ||
		e.DaemonMessage != "mandatory-script-verify-flag-failed" {
		t.Fatalf("rejection: %#v", err)
	}
}

func TestTransactionDaemonError(t *testing.T) {
	d := fakedaemon.New(t)
	newFakeChain(2).install(d, core)
	d.Handle("getrawtransaction", fakedaemon.Fail(-5, "No such mempool or blockchain transaction"))
	b := newBackend(t, d, "")
	_, err := b.Transaction(bg, sdk.Hash{}, false)
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindDaemon || e.DaemonCode != -5 {
		t.Fatalf("got %#v", err)
	}
}

func TestMempool(t *testing.T) {
	d := fakedaemon.New(t)
	newFakeChain(2).install(d, core)
	ids := []sdk.Hash{{1}, {2}, {3}}
	d.Handle("getrawmempool", fakedaemon.Constant([]string{ids[0].String(), ids[1].String(), ids[2].String()}))
	d.Handle("getrawtransaction", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		var s string
		_ = json.Unmarshal(p[0], &s)
		if s == ids[1].String() {
			return nil, &fakedaemon.Error{Code: -5, Message: "No such mempool transaction"}
		}
		return s[62:], nil // last byte of the display hex: the txid's first byte
	})
	b := newBackend(t, d, "")
	got, err := b.MempoolTxids(bg)
	if err != nil || !slices.Equal(got, ids) {
		t.Fatalf("txids: %v, %v", got, err)
	}
	txs, err := b.MempoolTransactions(bg, ids)
	if err != nil || len(txs) != 3 || string(txs[0]) != "\x01" || txs[1] != nil || string(txs[2]) != "\x03" {
		t.Fatalf("txs: %q, %v", txs, err)
	}
}

func TestFees(t *testing.T) {
	tests := []struct {
		name     string
		fl       flavor
		legacy   fakedaemon.Handler // btcd's estimatefee
		blocks   int
		mode     string
		want     float64
		wantKind sdk.Kind // 0 with wantErr false
		wantErr  bool
	}{
		{name: "core feerate", fl: core, blocks: 2, want: 0.0002},
		{name: "core mode", fl: core, blocks: 3, mode: "ECONOMICAL", want: 0.0003},
		{name: "core no feerate", fl: core, blocks: 200, want: -1},
		{name: "btcd estimate", fl: btcd, legacy: fakedaemon.Constant(0.00012), blocks: 6, want: 0.00012},
		{name: "btcd zero", fl: btcd, legacy: fakedaemon.Constant(0.0), blocks: 6, want: -1},
		{name: "btcd minus one", fl: btcd, legacy: fakedaemon.Constant(-1), blocks: 6, want: -1},
		{name: "btcd not ready", fl: btcd, legacy: fakedaemon.Fail(-32600, "Invalid request: malformed"), blocks: 6, want: -1},
		{name: "btcd other error", fl: btcd, legacy: fakedaemon.Fail(-32602, "bad"), blocks: 6, wantErr: true, wantKind: sdk.KindDaemon},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := fakedaemon.New(t)
			newFakeChain(2).install(d, tc.fl)
			var modes []string
			if tc.fl == core {
				d.Handle("estimatesmartfee", func(p []json.RawMessage) (any, *fakedaemon.Error) {
					var m string
					if len(p) > 1 {
						_ = json.Unmarshal(p[1], &m)
					}
					modes = append(modes, m)
					if intParam(p, 0) > 100 {
						return map[string]any{"errors": []string{"Insufficient data"}, "blocks": 2}, nil
					}
					return map[string]any{"feerate": float64(intParam(p, 0)) / 10000}, nil
				})
			}
			if tc.legacy != nil {
				d.Handle("estimatefee", tc.legacy)
			}
			b := newBackend(t, d, "")
			got, err := b.EstimateFee(bg, tc.blocks, tc.mode)
			if tc.wantErr {
				if sdk.KindOf(err) != tc.wantKind {
					t.Fatalf("got %v, %v; want kind %v", got, err, tc.wantKind)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			if tc.fl == core && modes[len(modes)-1] != tc.mode {
				t.Fatalf("mode sent %q, want %q", modes[len(modes)-1], tc.mode)
			}
		})
	}
}

func TestRelayFeeAndDaemonInfo(t *testing.T) {
	tests := []struct {
		fl   flavor
		want sdk.DaemonInfo
	}{
		{core, sdk.DaemonInfo{Version: 260000, Subversion: "/Satoshi:26.0.0/", RelayFee: 0.00002}},
		{btcd, sdk.DaemonInfo{Version: 240200, Subversion: "/btcd:0.24.2/", RelayFee: 0.00001}},
	}
	for _, tc := range tests {
		d := fakedaemon.New(t)
		newFakeChain(2).install(d, tc.fl)
		b := newBackend(t, d, "")
		for range 2 { // the second time uses the cached probe
			fee, err := b.RelayFee(bg)
			if err != nil || fee != tc.want.RelayFee {
				t.Fatalf("flavor %d relay fee %v, %v", tc.fl, fee, err)
			}
			info, err := b.DaemonInfo(bg)
			if err != nil || info != tc.want {
				t.Fatalf("flavor %d info %+v, %v", tc.fl, info, err)
			}
		}
	}
}

func TestSetDaemonURLsAndShutdown(t *testing.T) {
	d1, d2 := fakedaemon.New(t), fakedaemon.New(t)
	c1, c2 := newFakeChain(3), newFakeChain(5)
	c1.install(d1, core)
	c2.install(d2, core)
	b := newBackend(t, d1, "")
	if err := b.SetDaemonURLs(bg, []string{"nocreds"}); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Fatalf("bad URL: %v", err)
	}
	if err := b.SetDaemonURLs(bg, []string{d2.URL(), d1.URL()}); err != nil {
		t.Fatal(err)
	}
	if tip, err := b.Tip(bg); err != nil || tip.Height != 4 {
		t.Fatalf("tip after switch %+v, %v", tip, err)
	}
	if err := b.Shutdown(bg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, time.Second)
	defer cancel()
	if _, err := b.Tip(ctx); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("after Shutdown: %v", err)
	}
}
