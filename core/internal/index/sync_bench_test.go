package index

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// genSyncChain builds n blocks of perBlock txs (plus coinbase) paying a pool
// of nScripts scripts; every tx spends one or two random unspent outputs,
// half of the time one of the 500 most recent, as wallets tend to.
func genSyncChain(n, perBlock, nScripts int, seed int64) []*wire.MsgBlock {
	r := rand.New(rand.NewSource(seed))
	scripts := make([][]byte, nScripts)
	for i := range scripts {
		s := p2wpkh(byte(i))
		s[2] = byte(i >> 8)
		scripts[i] = s
	}
	blocks := []*wire.MsgBlock{genesisBlock()}
	var utxos []genUTXO
	take := func() genUTXO {
		j := r.Intn(len(utxos))
		if r.Intn(2) == 0 && len(utxos) > 500 {
			j = len(utxos) - 1 - r.Intn(500)
		}
		u := utxos[j]
		utxos[j] = utxos[len(utxos)-1]
		utxos = utxos[:len(utxos)-1]
		return u
	}
	for k := 1; k <= n; k++ {
		h := int64(k)
		cb := coinbase(h, 0, out{scripts[r.Intn(nScripts)], 50e8}, out{scripts[r.Intn(nScripts)], 50e8})
		txs := []*wire.MsgTx{cb}
		for t := 0; t < perBlock && len(utxos) > 4; t++ {
			var ins []wire.OutPoint
			var total int64
			for i := 1 + r.Intn(2); i > 0; i-- {
				u := take()
				ins = append(ins, u.op)
				total += u.value
			}
			a := total / 2
			tx := spend(ins, r.Intn(2) == 0, out{scripts[r.Intn(nScripts)], a}, out{scripts[r.Intn(nScripts)], total - a - 100})
			txs = append(txs, tx)
			for v, o := range tx.TxOut {
				utxos = append(utxos, genUTXO{wire.OutPoint{Hash: tx.TxHash(), Index: uint32(v)}, o.Value})
			}
		}
		for v, o := range cb.TxOut {
			utxos = append(utxos, genUTXO{wire.OutPoint{Hash: cb.TxHash(), Index: uint32(v)}, o.Value})
		}
		blocks = append(blocks, mkBlock(blocks[len(blocks)-1], h, 0, txs...))
	}
	return blocks
}

func parseAll(tb testing.TB, blocks []*wire.MsgBlock) []*parsedBlock {
	tb.Helper()
	out := make([]*parsedBlock, len(blocks))
	for h, b := range blocks {
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			tb.Fatal(err)
		}
		p, err := parseBlock(sdk.Block{Height: int64(h), Raw: buf.Bytes()})
		if err != nil {
			tb.Fatal(err)
		}
		out[h] = p
	}
	return out
}

// BenchmarkSyncCommit indexes 600 blocks of 30 txs into a file-backed
// buntdb store in commits of batch blocks, as syncForward does when the
// prefetch queue is full; it reports ns/block.
func BenchmarkSyncCommit(b *testing.B) {
	blocks := genSyncChain(600, 30, 200, 1)
	parsed := parseAll(b, blocks)
	chain := &fakeChain{}
	chain.set(blocks[:1])
	for _, batch := range []int{100, 600} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := store.OpenBunt(filepath.Join(b.TempDir(), "db"), store.BuntOptions{Sync: store.SyncNever})
				if err != nil {
					b.Fatal(err)
				}
				ix := newTestIndex(b, chain, s, nil)
				b.StartTimer()
				c0 := cpuTime()
				for j := 0; j < len(parsed); j += batch {
					if err := ix.commitBlocks(ctx, parsed[j:min(j+batch, len(parsed))]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				_ = s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(parsed)), "ns/block")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(parsed)), "cpu-ns/block")
		})
	}
}

// cpuTime is the process's user+system CPU time: unlike wall time it hardly
// depends on what else runs on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
