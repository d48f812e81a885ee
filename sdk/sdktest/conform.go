package sdktest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// conformWindow is how many blocks below the tip the suite reads.
const conformWindow = 3

// conformTimeout bounds each check so that a hanging backend fails the test.
const conformTimeout = 30 * time.Second

// ConformChain runs the ChainBackend conformance suite against a configured
// backend (typically NewChain(t, impl) after Configure, or a launched plugin).
// It only reads: it never calls Broadcast with a valid transaction,
// SetDaemonURLs or Shutdown. The chain must not reorganise during the run.
func ConformChain(t *testing.T, backend sdk.ChainBackend) {
	t.Helper()
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(t.Context(), conformTimeout)
		t.Cleanup(cancel)
		return c
	}

	t.Run("Describe", func(t *testing.T) {
		d, err := backend.Describe(ctx(t))
		if err != nil {
			t.Fatalf("Describe: %v", err)
		}
		for name, v := range map[string]string{"Name": d.Name, "Version": d.Version, "SDKVersion": d.SDKVersion} {
			if v == "" {
				t.Errorf("Describe: %s is empty", name)
			}
		}
		major, _, _ := strings.Cut(d.SDKVersion, ".")
		if m, err := strconv.Atoi(major); err != nil || m != sdk.ProtocolVersion {
			t.Errorf("Describe: SDKVersion %q: major version must be %d", d.SDKVersion, sdk.ProtocolVersion)
		}
		if !slices.Contains(d.Capabilities, sdk.CapChainBackend) {
			t.Errorf("Describe: capabilities %q lack %q", d.Capabilities, sdk.CapChainBackend)
		}
	})

	tip, err := backend.Tip(ctx(t))
	if err != nil {
		t.Fatalf("Tip: %v", err)
	}
	if tip.Height < 0 {
		t.Fatalf("Tip: height %d < 0", tip.Height)
	}
	if tip.Hash == (sdk.Hash{}) {
		t.Errorf("Tip: zero hash")
	}
	start := max(0, tip.Height-conformWindow+1)
	count := int(tip.Height - start + 1)

	t.Run("BlockHashesEndAtTip", func(t *testing.T) {
		hs, err := backend.BlockHashes(ctx(t), start, count+5)
		if err != nil {
			t.Fatalf("BlockHashes(%d, %d): %v", start, count+5, err)
		}
		if len(hs) != count {
			t.Fatalf("BlockHashes(%d, %d): got %d hashes, want %d (fewer at the tip)", start, count+5, len(hs), count)
		}
		if hs[len(hs)-1] != tip.Hash {
			t.Errorf("BlockHashes: last hash %s, tip is %s", hs[len(hs)-1], tip.Hash)
		}
	})

	t.Run("BlocksAgreeWithBlockHashes", func(t *testing.T) {
		c := ctx(t)
		hs, err := backend.BlockHashes(c, start, count)
		if err != nil {
			t.Fatalf("BlockHashes: %v", err)
		}
		var got []sdk.Block
		err = backend.Blocks(c, start, count, func(b sdk.Block) error {
			got = append(got, b)
			return nil
		})
		if err != nil {
			t.Fatalf("Blocks(%d, %d): %v", start, count, err)
		}
		if len(got) != len(hs) {
			t.Fatalf("Blocks yielded %d blocks, BlockHashes gave %d", len(got), len(hs))
		}
		for i, b := range got {
			if want := start + int64(i); b.Height != want {
				t.Errorf("block %d: height %d, want %d (height order)", i, b.Height, want)
			}
			if b.Hash != hs[i] {
				t.Errorf("block %d: hash %s, BlockHashes says %s", b.Height, b.Hash, hs[i])
			}
			if len(b.Raw) == 0 {
				t.Errorf("block %d: empty raw block", b.Height)
			}
		}
	})

	t.Run("BlocksStopsWhenYieldFails", func(t *testing.T) {
		stop := errors.New("conformance: stop")
		n := 0
		err := backend.Blocks(ctx(t), start, count, func(sdk.Block) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) {
			t.Errorf("Blocks: got %v, want the yield error", err)
		}
		if n != 1 {
			t.Errorf("Blocks: yield called %d times after failing, want 1", n)
		}
	})

	t.Run("PastTipIsEmpty", func(t *testing.T) {
		hs, err := backend.BlockHashes(ctx(t), tip.Height+1, 2)
		if err != nil || len(hs) != 0 {
			t.Errorf("BlockHashes past tip: %d hashes, err %v; want none, nil", len(hs), err)
		}
		n := 0
		err = backend.Blocks(ctx(t), tip.Height+1, 2, func(sdk.Block) error { n++; return nil })
		if err != nil || n != 0 {
			t.Errorf("Blocks past tip: %d blocks, err %v; want none, nil", n, err)
		}
	})

	unknown := DoubleSHA256([]byte("amber conformance: no such transaction"))

	t.Run("UnknownTransaction", func(t *testing.T) {
		_, err := backend.Transaction(ctx(t), unknown, false)
		if k := sdk.KindOf(err); err == nil || (k != sdk.KindNotFound && k != sdk.KindDaemon) {
			t.Errorf("Transaction(unknown): err %v (kind %v), want kind not-found or daemon", err, k)
		}
	})

	t.Run("Mempool", func(t *testing.T) {
		c := ctx(t)
		if _, err := backend.MempoolTxids(c); err != nil {
			t.Fatalf("MempoolTxids: %v", err)
		}
		raws, err := backend.MempoolTransactions(c, []sdk.Hash{unknown})
		if err != nil {
			t.Fatalf("MempoolTransactions: %v", err)
		}
		if len(raws) != 1 || raws[0] != nil {
			t.Errorf("MempoolTransactions(unknown) = %d entries %v, want one nil entry", len(raws), raws)
		}
	})

	t.Run("BadBroadcast", func(t *testing.T) {
		_, err := backend.Broadcast(ctx(t), "not hex")
		switch k := sdk.KindOf(err); {
		case err == nil:
			t.Errorf("Broadcast(garbage) succeeded")
		case k != sdk.KindRejected && k != sdk.KindDaemon && k != sdk.KindInvalidArgument:
			t.Errorf("Broadcast(garbage): kind %v (%v), want rejected, daemon or invalid-argument", k, err)
		}
	})

	t.Run("Fees", func(t *testing.T) {
		c := ctx(t)
		relay, err := backend.RelayFee(c)
		if err != nil || relay < 0 {
			t.Errorf("RelayFee = %v, %v; want >= 0, nil", relay, err)
		}
		fee, err := backend.EstimateFee(c, 2, "")
		if err != nil || (fee != -1 && fee <= 0) {
			t.Errorf("EstimateFee(2) = %v, %v; want -1 or > 0, nil", fee, err)
		}
	})

	t.Run("DaemonInfo", func(t *testing.T) {
		di, err := backend.DaemonInfo(ctx(t))
		if err != nil {
			t.Fatalf("DaemonInfo: %v", err)
		}
		if di.Version <= 0 || di.Subversion == "" || di.RelayFee < 0 {
			t.Errorf("DaemonInfo = %+v: want version > 0, a subversion, relay fee >= 0", di)
		}
	})

	conformExt(t, backend, ctx)
}
