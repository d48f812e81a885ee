// Command amber-devnet runs a local development network: a btcd regtest node
// on 127.0.0.1:18556, a starter chain with transactions to a few test keys,
// and amberd serving it on 127.0.0.1:50001, until Ctrl-C. It prints how to
// point the Electrum wallet at it. `make devnet` builds everything and runs it.
//
// btcd deletes its regtest chain every time it starts, so each run starts a
// fresh chain and a fresh index.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/core/regtest"
)

const btcdModule = "github.com/btcsuite/btcd"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "amber-devnet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	bin := flag.String("bin", "bin", "directory holding amberd and amber-bitcoind")
	cfgFile := flag.String("config", "configs/regtest.yaml", "amberd config file")
	dir := flag.String("dir", "devnet", "working directory for btcd and amberd data")
	rpcPort := flag.Int("rpcport", 18556, "btcd RPC port on 127.0.0.1")
	blocks := flag.Int("blocks", 450, "blocks in the starter chain (>= 432 activates segwit and taproot)")
	mineEvery := flag.Duration("mine-every", 0, "mine a block at this interval (0: only by hand)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	btcd, err := ensureBtcd(ctx, log)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(*dir, "btcd"), 0o755); err != nil {
		return err
	}
	node, err := regtest.StartNode(ctx, regtest.NodeOptions{
		Dir: filepath.Join(*dir, "btcd"), RPCPort: *rpcPort, User: "amber", Pass: "amber",
		BtcdPath: btcd, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("start btcd: %w", err)
	}
	defer node.Stop()
	log.Info("btcd regtest running", "rpc", fmt.Sprintf("127.0.0.1:%d", *rpcPort))

	w := regtest.NewWallet(1, &chaincfg.RegressionNetParams)
	info, err := regtest.Generate(ctx, node, w, regtest.Spec{
		Seed: 1, Blocks: *blocks, TxPerBlock: 4, Scripts: 12, SameBlockSpends: true, MempoolTxs: 3, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("mine the starter chain: %w", err)
	}
	log.Info("starter chain mined", "height", info.Height, "txs", len(info.Confirmed), "mempool", len(info.Mempool))

	amberd := exec.CommandContext(ctx, filepath.Join(*bin, "amberd"), "--config", *cfgFile)
	amberd.Stdout, amberd.Stderr = os.Stdout, os.Stderr
	amberd.Cancel = func() error { return amberd.Process.Signal(syscall.SIGTERM) }
	amberd.WaitDelay = 10 * time.Second
	if err := amberd.Start(); err != nil {
		return fmt.Errorf("start amberd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- amberd.Wait() }()
	if err := waitPort(ctx, "127.0.0.1:50001", exited); err != nil {
		return err
	}
	printHowTo(info, *rpcPort)

	var tick <-chan time.Time
	if *mineEvery > 0 {
		t := time.NewTicker(*mineEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("amberd exited: %v", err)
		case <-ctx.Done():
			<-exited
			return nil
		case <-tick:
			if _, err := node.Generate(ctx, 1); err != nil {
				log.Warn("mining failed", "err", err)
			}
		}
	}
}

// ensureBtcd finds btcd, installing v0.24.2 with go install when missing.
func ensureBtcd(ctx context.Context, log *slog.Logger) (string, error) {
	if p, err := regtest.FindBtcd(); err == nil {
		return p, nil
	}
	log.Info("btcd not found; installing " + btcdModule + "@v0.24.2 with go install")
	cmd := exec.CommandContext(ctx, "go", "install", btcdModule+"@v0.24.2", btcdModule+"/cmd/btcctl@v0.24.2")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install btcd: %w", err)
	}
	return regtest.FindBtcd()
}

func waitPort(ctx context.Context, addr string, exited <-chan error) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("amberd exited before listening: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printHowTo(info *regtest.ChainInfo, rpcPort int) {
	fmt.Printf("\n=== Amber devnet is up: Electrum server on 127.0.0.1:50001 (tcp), ws on :50003, admin RPC on :8000 ===\n\n")
	fmt.Println("Funded test keys (restore them in Electrum):")
	n := 0
	for _, s := range info.UsedScripts() {
		if s == info.Mining || n >= 4 {
			continue
		}
		imp, err := s.Key.ElectrumImport(s.Type)
		if err != nil {
			continue
		}
		fmt.Printf("  %-7s %s\n", s.Type, imp)
		n++
	}
	fmt.Printf(`
Point Electrum 4.x at it:
  EH=$(mktemp -d); mkdir -p $EH/regtest/wallets
  electrum --regtest -D $EH restore "<one of the keys above>" -w $EH/regtest/wallets/w1 --offline
  electrum --regtest -D $EH daemon -d -1 -s 127.0.0.1:50001:t
  electrum --regtest -D $EH load_wallet -w $EH/regtest/wallets/w1
  electrum --regtest -D $EH getbalance -w $EH/regtest/wallets/w1
(or the GUI: electrum --regtest --oneserver --server 127.0.0.1:50001:t)

Mine a block:
  btcctl --regtest --notls -s 127.0.0.1:%d -u amber -P amber generate 1
Admin:
  bin/amberctl -p 8000 getinfo

Ctrl-C stops amberd and btcd.
`, rpcPort)
}
