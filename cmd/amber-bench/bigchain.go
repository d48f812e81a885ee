package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
	"github.com/amber-electrum/amber/core/regtest"
)

// bigChainResult is the JSON of `amber-bench bigchain`: the fields of
// chain's result (so the scripts reading chain-result.json read it too),
// then the generator's own figures.
type bigChainResult struct {
	chainResult
	Blocks      int              `json:"blocks"`
	TxBlocks    int              `json:"tx_blocks"`
	MaxBlockTxs int              `json:"max_block_txs"`
	Inputs      int64            `json:"inputs"`
	Outputs     int64            `json:"outputs"`
	MaxInputs   int              `json:"max_inputs"`
	MaxOutputs  int              `json:"max_outputs"`
	OutputTypes map[string]int64 `json:"output_types"`
	Bytes       int64            `json:"bytes"`
	Tracked     int              `json:"tracked_scripts"`
	Workers     int              `json:"workers"`
	// TxsPerS is the chain's transactions over the whole run (keys,
	// signing, assembly and btcd's acceptance); Sign the wall time of the
	// parallel signing; Submit the wall time of the submitblock calls and
	// SubmitTxsPerS the transactions (coinbases included) btcd accepted
	// per second of it.
	TxsPerS       float64       `json:"txs_per_s"`
	Sign          time.Duration `json:"sign_ns"`
	Submit        time.Duration `json:"submit_ns"`
	SubmitTxsPerS float64       `json:"submit_txs_per_s"`
	Accepted      int           `json:"blocks_accepted"`
	// GenCPU and BtcdCPU are the CPU time (user+system) of this process
	// and of the btcd started here (or -daemon-pid) during the run: on a
	// shared machine the honest cost, where wall times depend on the load.
	GenCPU     time.Duration `json:"generator_cpu_ns"`
	BtcdCPU    time.Duration `json:"btcd_cpu_ns,omitempty"`
	LoadBefore [3]float64    `json:"load_avg_before"`
	LoadAfter  [3]float64    `json:"load_avg_after"`
	// Checkpoint is set when the chain was built first and btcd, started
	// afterwards with a checkpoint at its tip, skipped the script checks;
	// Build is then the wall time of building the chain into the blocks
	// file and SubmitAll that of sending the file to btcd (start-up
	// included).
	Checkpoint bool          `json:"checkpoint,omitempty"`
	Build      time.Duration `json:"build_ns,omitempty"`
	SubmitAll  time.Duration `json:"submit_all_ns,omitempty"`
}

// runBigChain builds a large mainnet-like chain on a fresh btcd with
// regtest.GenerateFast and writes the expected answers of the scripts it
// tracked.
func runBigChain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bigchain", flag.ContinueOnError)
	var nf nodeFlags
	nf.register(fs)
	txs := fs.Int("txs", 1_000_000, "transactions to generate (coinbases not counted)")
	perBlock := fs.Int("tx-per-block", 2500, "target transactions per block (fewer when a block is full)")
	funding := fs.Int("funding-outputs", 200, "outputs of each coinbase up to height 431, which fund the chain")
	keys := fs.Int("keys", 50_000, "wallet keys the chain's own outputs pay")
	heavy := fs.Int("heavy", 3, "very heavy scripts")
	heavyTxs := fs.Int("heavy-txs", 0, "transactions paying each heavy script (default txs/40)")
	watch := fs.Int("watch", 1000, "wallet scripts whose expected answers are written (besides the heavy ones)")
	foreign := fs.Int("foreign-watch-every", 1000, "also write the answers of every n-th output paid outside the wallet (-1: none)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "signing goroutines")
	seed := fs.Int64("seed", 1, "seed of the whole chain")
	out := fs.String("out", "chain.json", "expected-answers file to write")
	hold := fs.Duration("hold", 2*time.Hour, "keep the btcd started here running this long after writing (0: stop at once; Ctrl-C stops earlier)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	maxTime := fs.Duration("max-time", 0, "stop adding blocks after this long, with fewer transactions than -txs (0: no limit)")
	daemonPID := fs.Int("daemon-pid", 0, "process id of the -daemon btcd, to report its CPU time")
	checkpoint := fs.Bool("checkpoint", true, "build every block first into a file, then start btcd with a checkpoint at the tip, which skips the script checks "+
		"(like assumevalid; the blocks stay fully signed); only for a btcd started here")
	blocksFile := fs.String("blocks-file", "", "with -checkpoint: the blocks file, kept (default: blocks.dat in -dir or beside -out, removed once submitted)")
	utxoCache := fs.Int("utxocache-mb", 1000, "--utxocachemaxsize of the btcd started here in MiB (0: btcd's default, 250)")
	rfc6979 := fs.Bool("rfc6979", false, "sign with a fresh RFC6979 nonce per signature instead of the generator's fixed nonce pool (slower; same spends)")
	btcdGOGC := fs.Int("btcd-gogc", 400, "GOGC of the btcd started here (0: Go's default, 100); with 100 btcd spends about a third of its CPU in GC")
	depth := fs.Int("submit-depth", 3, "with -checkpoint: submitblock calls in flight (btcd parses one while it connects another)")
	var btcdArgs fileList
	fs.Var(&btcdArgs, "btcd-arg", "one more flag for the btcd started here, e.g. --cpuprofile=/tmp/btcd.prof (repeatable)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the generator (this process, whole run) here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var deadline time.Time
	if *maxTime > 0 {
		deadline = time.Now().Add(*maxTime)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *utxoCache > 0 {
		nf.extra = append(nf.extra, "--utxocachemaxsize="+strconv.Itoa(*utxoCache))
	}
	nf.extra = append(nf.extra, btcdArgs...)
	if *btcdGOGC > 0 {
		nf.env = append(nf.env, "GOGC="+strconv.Itoa(*btcdGOGC))
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	spec := regtest.FastSpec{Seed: *seed, Txs: *txs, TxPerBlock: *perBlock,
		Keys: *keys, FundingOutputs: *funding, Heavy: *heavy, HeavyTxs: *heavyTxs, Watch: *watch, ForeignWatchEvery: *foreign,
		Workers: *workers, RFC6979: *rfc6979, Deadline: deadline, Logger: log}
	res := bigChainResult{LoadBefore: loadAvg(), Workers: *workers}
	var (
		client *regtest.Client
		err    error
		info   *regtest.FastInfo
	)
	if *checkpoint && nf.daemon == "" {
		res.Checkpoint = true
		var node *regtest.Node
		client, node, info, err = buildThenSubmit(ctx, &nf, spec, *blocksFile, *out, *depth, &res, log)
		if node != nil {
			defer node.Stop()
		}
		if err != nil {
			return err
		}
	} else {
		var node *regtest.Node
		client, node, err = nf.connect(ctx, log)
		if err != nil {
			return err
		}
		if node != nil {
			defer node.Stop()
		}
		info, err = generateDirect(ctx, client, node, *daemonPID, spec, &res)
		if err != nil {
			return err
		}
	}
	log.Info("chain generated", "height", info.Height, "txs", info.Txs, "elapsed", info.Elapsed.Round(time.Millisecond))
	f := fastTargets(info)
	f.Generator = map[string]any{"command": "bigchain", "seed": *seed, "txs": *txs, "tx_per_block": *perBlock,
		"keys": *keys, "heavy": *heavy, "heavy_txs": *heavyTxs, "watch": *watch, "foreign_watch_every": *foreign,
		"max_time": maxTime.String(), "txs_made": info.Txs}
	if err := f.Save(*out); err != nil {
		return err
	}
	res.chainResult = chainResult{Daemon: client.URL(), Out: *out, Height: info.Height, Confirmed: info.Txs,
		Generate: info.Elapsed}
	if l := f.Largest(); l != nil {
		res.Heavy, res.HeavyLen = l.ScriptHash, l.History
	}
	res.Blocks, res.TxBlocks, res.MaxBlockTxs = info.Blocks, info.TxBlocks, info.MaxBlockTxs
	res.Inputs, res.Outputs, res.MaxInputs, res.MaxOutputs = info.Inputs, info.Outputs, info.MaxInputs, info.MaxOutputs
	res.OutputTypes, res.Bytes, res.Tracked = info.ByType, info.Bytes, len(info.Tracked)
	res.TxsPerS = float64(info.Txs) / info.Elapsed.Seconds()
	res.Sign, res.Submit, res.Accepted = info.Sign, info.Submit, info.Blocks
	if info.Submit > 0 {
		res.SubmitTxsPerS = float64(info.SubmitTxs) / info.Submit.Seconds()
	}
	if *asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "daemon_url %s\nwrote %s: height %d, %d blocks (%d with transactions), %d txs, %d inputs, %d outputs, %.1f MB\n"+
			"largest script %s with %d history entries\ngenerate %v (%.0f tx/s), signing %v, submitblock %v (%.0f tx/s accepted by btcd)\n"+
			"CPU: generator %v, btcd %v; load average %.2f before, %.2f after\n",
			client.URL(), *out, info.Height, info.Blocks, info.TxBlocks, info.Txs, info.Inputs, info.Outputs, float64(info.Bytes)/1e6,
			res.Heavy, res.HeavyLen, info.Elapsed.Round(time.Millisecond), res.TxsPerS, info.Sign.Round(time.Millisecond),
			info.Submit.Round(time.Millisecond), res.SubmitTxsPerS, res.GenCPU.Round(time.Millisecond), res.BtcdCPU.Round(time.Millisecond),
			res.LoadBefore[0], res.LoadAfter[0])
		if res.Checkpoint {
			fmt.Fprintf(stdout, "checkpoint at the tip: chain built in %v, then btcd took it in %v (no script checks up to the checkpoint)\n",
				res.Build.Round(time.Millisecond), res.SubmitAll.Round(time.Millisecond))
		}
	}
	if nf.daemon == "" && *hold > 0 {
		fmt.Fprintf(os.Stderr, "btcd keeps running for %v at %s (Ctrl-C stops it)\n", *hold, client.URL())
		select {
		case <-ctx.Done():
		case <-time.After(*hold):
		}
	}
	return nil
}

// cpuOf is the CPU time of process pid so far (0 if unknown).
func cpuOf(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	d, _ := procstat.CPU(pid)
	return d
}

// generateDirect builds the chain on client's btcd, block by block, every
// script checked by btcd (regtest.GenerateFast).
func generateDirect(ctx context.Context, client *regtest.Client, node *regtest.Node, daemonPID int, spec regtest.FastSpec,
	res *bigChainResult) (*regtest.FastInfo, error) {
	btcdPID := daemonPID
	if node != nil {
		btcdPID = node.PID()
	}
	gen0, btcd0 := cpuOf(os.Getpid()), cpuOf(btcdPID)
	info, err := regtest.GenerateFast(ctx, client, spec)
	if err != nil {
		return nil, err
	}
	res.LoadAfter = loadAvg()
	res.GenCPU = cpuOf(os.Getpid()) - gen0
	if btcdPID > 0 {
		res.BtcdCPU = cpuOf(btcdPID) - btcd0
	}
	return info, nil
}

// buildThenSubmit builds the whole chain into the blocks file
// (regtest.WriteFast), then starts btcd with a checkpoint at its tip and
// submits the file (regtest.SubmitBlocks). The node is returned whenever it
// was started.
func buildThenSubmit(ctx context.Context, nf *nodeFlags, spec regtest.FastSpec, blocksPath, out string, depth int, res *bigChainResult,
	log *slog.Logger) (*regtest.Client, *regtest.Node, *regtest.FastInfo, error) {
	start := time.Now()
	keep := blocksPath != ""
	if !keep {
		dir := nf.dir
		if dir == "" {
			dir = filepath.Dir(out)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, nil, err
		}
		blocksPath = filepath.Join(dir, "blocks.dat")
	}
	f, err := os.Create(blocksPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("blocks file: %w", err)
	}
	defer f.Close()
	if !keep {
		defer os.Remove(blocksPath)
	}
	gen0 := cpuOf(os.Getpid())
	info, err := regtest.WriteFast(ctx, f, spec)
	if err != nil {
		return nil, nil, nil, err
	}
	res.Build = time.Since(start)
	log.Info("chain built; starting btcd with a checkpoint at its tip", "height", info.Height, "tip", info.TipHash,
		"txs", info.Txs, "file", blocksPath, "bytes", info.Bytes, "elapsed", res.Build.Round(time.Millisecond))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, nil, fmt.Errorf("blocks file: %w", err)
	}
	nf.extra = append(nf.extra, regtest.CheckpointArg(info.Height, info.TipHash))
	submitStart := time.Now()
	client, node, err := nf.connect(ctx, log)
	if err != nil {
		return nil, nil, nil, err
	}
	btcd0 := cpuOf(node.PID())
	st, err := regtest.SubmitBlocks(ctx, client, f, depth, log)
	if err != nil {
		return client, node, nil, err
	}
	res.SubmitAll = time.Since(submitStart)
	res.LoadAfter = loadAvg()
	res.GenCPU = cpuOf(os.Getpid()) - gen0
	res.BtcdCPU = cpuOf(node.PID()) - btcd0
	info.Submit, info.SubmitTxs = st.Submit, st.Txs
	info.Elapsed = time.Since(start)
	return client, node, info, nil
}

// fastTargets is the expected-answers file of the scripts GenerateFast
// tracked.
func fastTargets(info *regtest.FastInfo) *targets.File {
	f := &targets.File{Version: targets.Version, Created: time.Now().UTC(), Height: info.Height, Tip: info.TipHash.String()}
	for _, t := range info.Tracked {
		h := make([]targets.Entry, len(t.History))
		for i, e := range t.History {
			h[i] = targets.Entry{TxHash: e.Txid.String(), Height: e.Height}
		}
		s := targets.FromHistory(t.PkScript, t.Type, t.Address, h, t.Confirmed, t.UTXOs)
		if t.Heavy && (f.Heavy == "" || s.History > f.Largest().History) {
			f.Heavy = s.ScriptHash
		}
		f.Scripts = append(f.Scripts, s)
	}
	return f
}

// nodeFlags are the flags that pick the btcd of chain and bigchain: one
// given with -daemon, or one started here.
type nodeFlags struct {
	daemon, dir, user, pass string
	rpcPort                 int
	extra                   []string // more btcd flags (regtest.NodeOptions.ExtraArgs)
	env                     []string // more btcd environment (regtest.NodeOptions.Env)
}

func (n *nodeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.daemon, "daemon", "", "use this btcd (user:pass@127.0.0.1:port) instead of starting one")
	fs.IntVar(&n.rpcPort, "rpcport", 0, "RPC port of the btcd started here (0: a free port)")
	fs.StringVar(&n.dir, "dir", "", "data directory of the btcd started here (default: temporary)")
	fs.StringVar(&n.user, "rpcuser", "amber", "RPC user of the btcd started here")
	fs.StringVar(&n.pass, "rpcpass", "amber", "RPC password of the btcd started here")
}

// connect returns a client of the -daemon btcd, or starts one (the node is
// then returned too; Stop it).
func (n *nodeFlags) connect(ctx context.Context, log *slog.Logger) (*regtest.Client, *regtest.Node, error) {
	if n.daemon != "" {
		hp, u, p, err := parseDaemonURL(n.daemon)
		if err != nil {
			return nil, nil, err
		}
		return regtest.NewClient(hp, u, p), nil, nil
	}
	if n.dir != "" {
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			return nil, nil, err
		}
	}
	node, err := regtest.StartNode(ctx, regtest.NodeOptions{Dir: n.dir, RPCPort: n.rpcPort, User: n.user, Pass: n.pass,
		ExtraArgs: n.extra, Env: n.env, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("start btcd: %w", err)
	}
	log.Info("btcd regtest started", "daemon_url", node.URL(), "dir", node.Dir())
	return node.Client, node, nil
}
