package regtest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/btcsuite/btcd/chaincfg"
)

// Start a node, build a chain with all four script types, and use what
// Generate reports. (Needs btcd; compiled, not run, by go test.)
func ExampleGenerate() {
	ctx := context.Background()
	node, err := regtest.StartNode(ctx, regtest.NodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Stop()

	w := regtest.NewWallet(1, &chaincfg.RegressionNetParams)
	info, err := regtest.Generate(ctx, node, w, regtest.Spec{
		Seed: 1, Blocks: 500, TxPerBlock: 20, Scripts: 200,
		SameBlockSpends: true, MempoolTxs: 10, HeavyScriptTxs: 100,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("daemon_url:", node.URL())
	fmt.Println(len(info.Confirmed), "confirmed,", len(info.Mempool), "in the mempool")
	for _, s := range info.UsedScripts()[:3] {
		imp, _ := s.Key.ElectrumImport(s.Type) // e.g. "p2wpkh:<WIF>" for Electrum restore
		fmt.Println(s.Type, s.Address, s.ScriptHash(), len(s.History), imp)
	}
}
