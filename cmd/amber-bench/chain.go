package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
	"github.com/amber-electrum/amber/core/regtest"
)

type chainResult struct {
	Daemon    string        `json:"daemon"`
	Out       string        `json:"out"`
	Height    int64         `json:"height"`
	Confirmed int           `json:"confirmed_txs"`
	Mempool   int           `json:"mempool_txs"`
	Heavy     string        `json:"heavy,omitempty"`
	HeavyLen  int           `json:"heavy_history,omitempty"`
	Generate  time.Duration `json:"generate_ns"`
	Model     time.Duration `json:"model_ns"`
}

func runChain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chain", flag.ContinueOnError)
	var nf nodeFlags
	nf.register(fs)
	blocks := fs.Int("blocks", 600, "blocks to mine")
	txPerBlock := fs.Int("tx-per-block", 20, "transactions per block (from height 101)")
	scripts := fs.Int("scripts", 200, "distinct destination scripts")
	types := fs.String("types", "", "comma list of script types (p2pkh,p2wpkh,p2sh-p2wpkh,p2tr; default all)")
	heavy := fs.Int("heavy-script-txs", 0, "transactions paying one extra script (a very long history)")
	mempool := fs.Int("mempool", 10, "transactions left in the mempool")
	seed := fs.Int64("seed", 1, "seed of the chain and of the wallet keys")
	out := fs.String("out", "chain.json", "expected-answers file to write")
	hold := fs.Duration("hold", 2*time.Hour, "keep the btcd started here running this long after writing (0: stop at once; Ctrl-C stops earlier)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var typs []regtest.ScriptType
	if *types != "" {
		for _, t := range strings.Split(*types, ",") {
			st, err := regtest.ParseScriptType(strings.TrimSpace(t))
			if err != nil {
				return err
			}
			typs = append(typs, st)
		}
	}

	client, node, err := nf.connect(ctx, log)
	if err != nil {
		return err
	}
	if node != nil {
		defer node.Stop()
	}
	var chain interface {
		regtest.Chain
		targets.Source
	} = client
	daemonURL := client.URL()

	w := regtest.NewWallet(*seed, &chaincfg.RegressionNetParams)
	info, err := regtest.Generate(ctx, chain, w, regtest.Spec{
		Seed: *seed, Blocks: *blocks, TxPerBlock: *txPerBlock, Scripts: *scripts, Types: typs,
		SameBlockSpends: true, MempoolTxs: *mempool, HeavyScriptTxs: *heavy, Logger: log,
	})
	if err != nil {
		return err
	}
	log.Info("chain generated", "height", info.Height, "txs", len(info.Confirmed), "mempool", len(info.Mempool), "elapsed", info.Elapsed.Round(time.Millisecond))

	watch := make([]targets.Watch, 0, len(info.Scripts))
	for _, s := range info.Scripts {
		watch = append(watch, targets.Watch{PkScript: s.PkScript, Type: s.Type.String(), Address: s.Address})
	}
	start := time.Now()
	st := newStatus(os.Stderr)
	f, err := targets.Build(ctx, chain, watch, func(done, total int64) {
		st.Printf("model: block %d/%d", done, total)
	})
	st.Done()
	if err != nil {
		return err
	}
	modelTime := time.Since(start)
	if info.Heavy != nil {
		f.Heavy = targets.ScriptHash(info.Heavy.PkScript)
	}
	f.Generator = map[string]any{
		"seed": *seed, "blocks": *blocks, "tx_per_block": *txPerBlock, "scripts": *scripts,
		"types": *types, "heavy_script_txs": *heavy, "mempool": *mempool, "start_height": info.StartHeight,
	}
	if err := checkAgainstGenerate(f, info); err != nil {
		return err
	}
	if err := f.Save(*out); err != nil {
		return err
	}
	res := chainResult{Daemon: daemonURL, Out: *out, Height: f.Height, Confirmed: len(info.Confirmed),
		Mempool: len(info.Mempool), Generate: info.Elapsed, Model: modelTime}
	if l := f.Largest(); l != nil {
		res.Heavy, res.HeavyLen = l.ScriptHash, l.History
	}
	if *asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "daemon_url %s\nwrote %s: height %d, %d txs mined, %d in the mempool, %d scripts; largest %s with %d history entries\ngenerate %v, model %v\n",
			daemonURL, *out, f.Height, len(info.Confirmed), len(info.Mempool), len(f.Scripts), res.Heavy, res.HeavyLen,
			info.Elapsed.Round(time.Millisecond), modelTime.Round(time.Millisecond))
	}
	if node != nil && *hold > 0 {
		fmt.Fprintf(os.Stderr, "btcd keeps running for %v at %s (Ctrl-C stops it)\n", *hold, daemonURL)
		select {
		case <-ctx.Done():
		case <-time.After(*hold):
		}
	}
	return nil
}

// checkAgainstGenerate cross-checks the scanned model with what Generate
// reported: a script's scanned history holds at least the transactions of
// this Generate call (more if an earlier chain already touched it).
func checkAgainstGenerate(f *targets.File, info *regtest.ChainInfo) error {
	for i, s := range info.Scripts {
		if got := f.Scripts[i].History; got < len(s.History) {
			return fmt.Errorf("model: script %s has %d history entries, Generate reported %d", s.Address, got, len(s.History))
		}
	}
	return nil
}
