// Command amber-devnet runs a local development network: a btcd regtest
// node, a starter chain with transactions to a few test keys, and amberd
// serving it, until Ctrl-C. `make devnet` builds everything and runs it
// (`make devnet PLUGINS=history,feeest,hello-method` loads plugins too).
//
// Every port comes from the amberd config it runs (-config, default
// configs/regtest.yaml): btcd's RPC port from daemon_url, amberd's from
// services (and metrics_listen). A port that is in use is replaced by a
// free one, with a warning. btcd gets a fresh random RPC password, so no
// other btcd can answer in its place, and right after start the devnet
// checks that the node answering is a fresh regtest chain (height 0,
// regtest genesis) before it mines on it. amberd runs a copy of the config
// (<dir>/amberd.yaml) with the ports and credentials actually used, and no
// environment but PATH, HOME and TMPDIR (so that no exported AMBER_* or
// ElectrumX variable changes what it runs).
//
// When amberd serves, it prints the Electrum server's addresses, the
// funded test wallets (address, script hash, key to restore, balance), the
// Electrum command lines, an amberctl getinfo line, how to mine a block,
// and one example call per method of each loaded plugin.
//
// btcd deletes its regtest chain every time it starts, so each run starts a
// fresh chain and a fresh index (<dir> is emptied first).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

const btcdModule = "github.com/btcsuite/btcd"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "amber-devnet:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	bin, config, dir string
	rpcPort, blocks  int
	mineEvery        time.Duration
	plugins          []string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var plugins string
	fs := flag.NewFlagSet("amber-devnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "bin", "directory holding amberd, amber-bitcoind and the plugins")
	fs.StringVar(&o.config, "config", "configs/regtest.yaml", "amberd config file (YAML): ports, daemon_url, plugins")
	fs.StringVar(&o.dir, "dir", "devnet", "working directory for btcd and amberd data (emptied first)")
	fs.IntVar(&o.rpcPort, "rpcport", 0, "btcd RPC port on 127.0.0.1 (0: daemon_url's port of the config)")
	fs.IntVar(&o.blocks, "blocks", 450, "blocks in the starter chain (>= 432 activates segwit and taproot)")
	fs.DurationVar(&o.mineEvery, "mine-every", 0, "mine a block at this interval (0: only by hand)")
	fs.StringVar(&plugins, "plugins", "", "comma-separated plugins to load from -bin (amber-NAME or NAME), e.g. history,feeest,hello-method")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, p := range strings.Split(plugins, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !validPluginName(p) {
			return o, fmt.Errorf("-plugins: %q is not a plugin name (letters, digits, _ or -)", p)
		}
		o.plugins = append(o.plugins, p)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	daemon, err := parseDaemonURL(cfg.str("daemon_url"))
	if err != nil {
		return fmt.Errorf("%s: %w", o.config, err)
	}
	services, err := parseServices(cfg.str("services"))
	if err != nil {
		return fmt.Errorf("%s: %w", o.config, err)
	}
	if len(services) == 0 {
		return fmt.Errorf("%s: services is empty: nothing to serve", o.config)
	}
	plugins := map[string]string{}
	for _, name := range o.plugins {
		if plugins[name], err = pluginBinary(o.bin, name); err != nil {
			return err
		}
	}

	// Ports: the config's, or free ones when taken.
	pp := newPortPicker(log)
	if o.rpcPort > 0 {
		daemon.Port = o.rpcPort
	}
	if daemon.Port, err = pp.pick("btcd RPC (daemon_url)", "127.0.0.1", daemon.Port); err != nil {
		return err
	}
	for i, s := range services {
		if services[i].Port, err = pp.pick("services "+s.Proto, s.Host, s.Port); err != nil {
			return err
		}
	}
	if ml := cfg.str("metrics_listen"); ml != "" {
		h, p, err := net.SplitHostPort(ml)
		n, _ := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s: metrics_listen %q: want host:port", o.config, ml)
		}
		if n, err = pp.pick("metrics_listen", h, n); err != nil {
			return err
		}
		cfg["metrics_listen"] = net.JoinHostPort(h, strconv.Itoa(n))
	}

	btcd, err := ensureBtcd(ctx, log)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(o.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(o.dir, "btcd"), 0o755); err != nil {
		return err
	}
	// A fresh password per run: another btcd on the port cannot answer.
	daemon.Pass = randomHex(12)
	node, err := regtest.StartNode(ctx, regtest.NodeOptions{
		Dir: filepath.Join(o.dir, "btcd"), RPCPort: daemon.Port, User: daemon.User, Pass: daemon.Pass,
		BtcdPath: btcd, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("start btcd on 127.0.0.1:%d: %w", daemon.Port, err)
	}
	defer node.Stop()
	if err := checkFreshNode(ctx, node); err != nil {
		return err
	}
	log.Info("btcd regtest running", "rpc", node.HostPort())

	w := regtest.NewWallet(1, &chaincfg.RegressionNetParams)
	info, err := regtest.Generate(ctx, node, w, regtest.Spec{
		Seed: 1, Blocks: o.blocks, TxPerBlock: 4, Scripts: 12, SameBlockSpends: true, MempoolTxs: 3, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("mine the starter chain on %s: %w", node.HostPort(), err)
	}
	log.Info("starter chain mined", "height", info.Height, "txs", len(info.Confirmed), "mempool", len(info.Mempool))

	cfg["daemon_url"] = fmt.Sprintf("%s:%s@127.0.0.1:%d", daemon.User, daemon.Pass, daemon.Port)
	cfg["services"] = joinServices(services)
	absDir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	cfg["db_directory"] = filepath.Join(absDir, "amber")
	for name, path := range plugins {
		cfg.addPlugin(name, path)
	}
	runCfg := filepath.Join(o.dir, "amberd.yaml")
	if err := cfg.write(runCfg); err != nil {
		return err
	}

	amberd := exec.CommandContext(ctx, filepath.Join(o.bin, "amberd"), "--config", runCfg)
	amberd.Stdout, amberd.Stderr = stderr, stderr
	amberd.Env = append(amberdEnv(os.Environ()), "ALLOW_ROOT=1") // a devnet may run as root (containers)
	amberd.Cancel = func() error { return amberd.Process.Signal(syscall.SIGTERM) }
	amberd.WaitDelay = 10 * time.Second
	if err := amberd.Start(); err != nil {
		return fmt.Errorf("start amberd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- amberd.Wait() }()
	// Client services open once amberd has caught up: wait for all of them.
	for _, s := range services {
		if err := waitPort(ctx, s.Addr(), exited); err != nil {
			if ctx.Err() != nil {
				<-exited // amberd got SIGTERM from the cancelled context
			}
			return err
		}
	}
	r := ready{bin: o.bin, services: services, node: node, daemon: daemon, info: info, runCfg: runCfg}
	r.gather(ctx, log)
	r.print(stdout)

	var tick <-chan time.Time
	if o.mineEvery > 0 {
		t := time.NewTicker(o.mineEvery)
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

// checkFreshNode makes sure the node answering on the RPC port is the one
// just started: a fresh regtest chain (height 0, the regtest genesis block).
// Another node would already have blocks (or another network's genesis).
func checkFreshNode(ctx context.Context, node *regtest.Node) error {
	h, err := node.GetBlockCount(ctx)
	if err != nil {
		return fmt.Errorf("btcd on %s: %w", node.HostPort(), err)
	}
	genesis, err := node.GetBlockHash(ctx, 0)
	if err != nil {
		return fmt.Errorf("btcd on %s: %w", node.HostPort(), err)
	}
	want := chaincfg.RegressionNetParams.GenesisHash.String()
	if h != 0 || genesis.String() != want {
		return fmt.Errorf("the node on %s is not the fresh regtest btcd just started (height %d, genesis %s, want 0 and %s): another process holds the port; stop it or pass -rpcport",
			node.HostPort(), h, genesis, want)
	}
	return nil
}

// amberdEnv is amberd's environment: PATH, HOME and TMPDIR only. amberd
// reads its AMBER_* and ElectrumX variables (DAEMON_URL, SERVICES, ...)
// from the environment, and the devnet's amberd must run exactly the config
// it wrote (an exported AMBER_BIN, for one, would stop it as unknown).
func amberdEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "HOME" || k == "TMPDIR" {
			out = append(out, kv)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ensureBtcd finds btcd, installing v0.24.2 with go install when missing.
func ensureBtcd(ctx context.Context, log *slog.Logger) (string, error) {
	if p, err := testenv.FindBtcd(); err == nil {
		return p, nil
	}
	log.Info("btcd not found; installing " + btcdModule + "@v0.24.2 with go install")
	cmd := exec.CommandContext(ctx, "go", "install", btcdModule+"@v0.24.2", btcdModule+"/cmd/btcctl@v0.24.2")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install btcd: %w", err)
	}
	return testenv.FindBtcd()
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
			return fmt.Errorf("amberd exited before listening on %s: %v", addr, err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
