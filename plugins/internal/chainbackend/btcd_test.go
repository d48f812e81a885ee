package chainbackend

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/testenv"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

const regtestGenesis = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"

// btcdNode is a btcd regtest process on 127.0.0.1.
type btcdNode struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// miningAddr derives a regtest P2PKH address from a fixed private key.
func miningAddr(t *testing.T) string {
	t.Helper()
	priv, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(priv.PubKey().SerializeCompressed()),
		&chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return addr.EncodeAddress()
}

// startBtcd starts btcd in regtest, or skips when it is not installed (and
// CI is unset).
func startBtcd(t *testing.T) *btcdNode {
	t.Helper()
	bin := testenv.RequireBtcd(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--configfile="+conf, "--regtest", "--datadir="+dir, "--logdir="+filepath.Join(dir, "logs"),
		"--nolisten", "--nodnsseed", "--noonion", "--rpclisten="+addr, "--notls", "--rpcuser=u", "--rpcpass=p",
		"--rpcmaxclients=200", "--txindex", "--miningaddr="+miningAddr(t))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &btcdNode{cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(n.done) }()
	t.Cleanup(n.stop)
	return n
}

// stop interrupts btcd and waits for it (killing it after 10 s).
func (n *btcdNode) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

func TestBtcdRegtest(t *testing.T) {
	node := startBtcd(t)
	b := New(slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	cfg := fmt.Sprintf(`{"daemon_url":"u:p@%s","network":"regtest","batch_size":7,"request_timeout":"10s"}`, node.addr)
	if err := b.Configure(ctx, []byte(cfg)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	defer b.Shutdown(bg)

	desc, _ := b.Describe(ctx)
	if desc.GenesisHash.String() != regtestGenesis || desc.Network != "regtest" || desc.Coin != "Bitcoin" {
		t.Fatalf("Describe: %+v", desc)
	}
	for _, c := range desc.Capabilities {
		if c == sdk.CapEstimateSmartFee {
			t.Fatal("btcd has no estimatesmartfee, yet the capability is listed")
		}
	}

	var generated []string
	if err := b.call(ctx, &generated, "generate", 20); err != nil || len(generated) != 20 {
		t.Fatalf("generate: %v (%d hashes)", err, len(generated))
	}

	tip, err := b.Tip(ctx)
	if err != nil || tip.Height != 20 || tip.Hash.String() != generated[19] {
		t.Fatalf("Tip: %+v, %v (want 20 %s)", tip, err, generated[19])
	}
	hashes, err := b.BlockHashes(ctx, 0, 100)
	if err != nil || len(hashes) != 21 || hashes[0].String() != regtestGenesis || hashes[20] != tip.Hash {
		t.Fatalf("BlockHashes: %d hashes, %v", len(hashes), err)
	}

	var blocks []sdk.Block
	err = b.Blocks(ctx, 0, 21, func(blk sdk.Block) error {
		blocks = append(blocks, blk)
		return nil
	})
	if err != nil || len(blocks) != 21 {
		t.Fatalf("Blocks: %d blocks, %v", len(blocks), err)
	}
	for i, blk := range blocks {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(blk.Raw)); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if blk.Height != int64(i) || blk.Hash != hashes[i] || sdk.Hash(mb.BlockHash()) != blk.Hash {
			t.Fatalf("block %d: height %d hash %s", i, blk.Height, blk.Hash)
		}
		if i > 0 && sdk.Hash(mb.Header.PrevBlock) != blocks[i-1].Hash {
			t.Fatalf("block %d does not link to block %d", i, i-1)
		}
	}

	// The coinbase of block 1, raw and verbose.
	var b1 wire.MsgBlock
	_ = b1.Deserialize(bytes.NewReader(blocks[1].Raw))
	cb := b1.Transactions[0].TxHash()
	raw, err := b.Transaction(ctx, sdk.Hash(cb), false)
	if err != nil {
		t.Fatalf("Transaction raw: %v", err)
	}
	var rawHex string
	if err := json.Unmarshal(raw, &rawHex); err != nil {
		t.Fatalf("raw transaction %s: %v", raw, err)
	}
	txBytes, _ := hex.DecodeString(rawHex)
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(txBytes)); err != nil || tx.TxHash() != cb {
		t.Fatalf("raw transaction decodes to %v, %v; want %s", tx.TxHash(), err, cb)
	}
	verbose, err := b.Transaction(ctx, sdk.Hash(cb), true)
	var vt struct {
		Txid string `json:"txid"`
		Hex  string `json:"hex"`
	}
	if err != nil || json.Unmarshal(verbose, &vt) != nil || vt.Txid != cb.String() || vt.Hex != rawHex {
		t.Fatalf("verbose transaction %.200s, %v", verbose, err)
	}

	_, err = b.Broadcast(ctx, "00")
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindRejected || e.DaemonCode != -22 ||
		!strings.Contains(e.DaemonMessage, "TX decode failed") {
		t.Fatalf("Broadcast garbage: %#v", err)
	}

	if ids, err := b.MempoolTxids(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("MempoolTxids: %v, %v", ids, err)
	}
	if txs, err := b.MempoolTransactions(ctx, []sdk.Hash{{1}, sdk.Hash(cb)}); err != nil || txs[0] != nil ||
		!bytes.Equal(txs[1], txBytes) {
		t.Fatalf("MempoolTransactions: %d, %v", len(txs), err)
	}
	if fee, err := b.RelayFee(ctx); err != nil || fee <= 0 {
		t.Fatalf("RelayFee: %v, %v", fee, err)
	}
	if info, err := b.DaemonInfo(ctx); err != nil || info.Version <= 0 || info.RelayFee <= 0 ||
		!strings.HasPrefix(info.Subversion, "/btcd:") {
		t.Fatalf("DaemonInfo: %+v, %v", info, err)
	}
	for _, mode := range []string{"", "CONSERVATIVE"} {
		fee, err := b.EstimateFee(ctx, 6, mode)
		if err != nil || (fee != -1 && fee <= 0) {
			t.Fatalf("EstimateFee(6, %q): %v, %v", mode, fee, err)
		}
	}

	checkBtcdPackage(t, ctx, b, b1.Transactions[0])

	// The same backend through the real gRPC adapters: the SDK conformance
	// suite, and a rejection keeping its kind and daemon code on the wire.
	wired := sdktest.NewChain(t, b)
	sdktest.ConformChain(t, wired)
	_, err = wired.Broadcast(ctx, "00")
	if !errors.As(err, &e) || e.Kind != sdk.KindRejected || e.DaemonCode != -22 {
		t.Fatalf("Broadcast over gRPC: %#v", err)
	}

	// With btcd gone, a call with a 2 s deadline reports the daemon unavailable.
	node.stop()
	ctx2, cancel2 := context.WithTimeout(bg, 2*time.Second)
	defer cancel2()
	_, err = b.Tip(ctx2)
	t.Logf("after stop: %v", err)
	if !errors.As(err, &e) || e.Kind != sdk.KindUnavailable || !strings.Contains(e.Message, node.addr) {
		t.Fatalf("after stop: %#v", err)
	}
}
