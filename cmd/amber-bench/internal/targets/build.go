package targets

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Source is what Build needs from a daemon (regtest.Client has it).
type Source interface {
	GetBlockCount(ctx context.Context) (int64, error)
	GetBlockHashes(ctx context.Context, start, end int64) ([]sdk.Hash, error)
	GetBlocks(ctx context.Context, hashes []sdk.Hash) ([]*wire.MsgBlock, error)
	RawMempool(ctx context.Context) ([]sdk.Hash, error)
	GetRawTransaction(ctx context.Context, txid sdk.Hash) (*wire.MsgTx, error)
}

// Watch is a script to compute expected answers for.
type Watch struct {
	PkScript []byte
	Type     string
	Address  string
}

// SampleSize is how many history entries Build keeps per script.
const SampleSize = 8

// batch is how many blocks Build fetches per RPC batch.
const batch = 50

type model struct {
	idx    map[string]int // pkScript (raw bytes as string) -> script index
	utxos  map[wire.OutPoint]utxo
	hist   [][]Entry
	conf   []int64
	unconf []int64
	inPool []int // mempool history entries per script
}

type utxo struct {
	script int
	value  int64
}

// Build scans the daemon's whole best chain and mempool for the watched
// scripts and returns their expected Electrum answers. The chain must not
// change during the scan. progress (may be nil) is called after each batch
// of blocks.
func Build(ctx context.Context, src Source, watch []Watch, progress func(done, total int64)) (*File, error) {
	m := &model{idx: map[string]int{}, utxos: map[wire.OutPoint]utxo{}, hist: make([][]Entry, len(watch)), conf: make([]int64, len(watch))}
	for i, w := range watch {
		m.idx[string(w.PkScript)] = i
	}
	tip, err := src.GetBlockCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	var tipHash sdk.Hash
	for start := int64(0); start <= tip; start += batch {
		end := min(start+batch-1, tip)
		hashes, err := src.GetBlockHashes(ctx, start, end)
		if err != nil {
			return nil, fmt.Errorf("targets: %w", err)
		}
		blocks, err := src.GetBlocks(ctx, hashes)
		if err != nil {
			return nil, fmt.Errorf("targets: %w", err)
		}
		for i, b := range blocks {
			for _, tx := range b.Transactions {
				m.apply(tx, start+int64(i))
			}
		}
		tipHash = hashes[len(hashes)-1]
		if progress != nil {
			progress(end+1, tip+1)
		}
	}
	for i := range m.conf {
		for _, u := range m.utxos {
			if u.script == i {
				m.conf[i] += u.value
			}
		}
	}
	if err := m.mempool(ctx, src); err != nil {
		return nil, err
	}
	f := &File{Version: Version, Created: time.Now().UTC(), Height: tip, Tip: tipHash.String()}
	for i, w := range watch {
		f.Scripts = append(f.Scripts, m.script(i, w))
	}
	return f, nil
}

// apply adds a confirmed transaction at height.
func (m *model) apply(tx *wire.MsgTx, height int64) {
	txid := tx.TxHash()
	touched := map[int]bool{}
	if !isCoinbase(tx) {
		for _, in := range tx.TxIn {
			if u, ok := m.utxos[in.PreviousOutPoint]; ok {
				touched[u.script] = true
				delete(m.utxos, in.PreviousOutPoint)
			}
		}
	}
	for n, out := range tx.TxOut {
		if i, ok := m.idx[string(out.PkScript)]; ok {
			touched[i] = true
			m.utxos[wire.OutPoint{Hash: txid, Index: uint32(n)}] = utxo{i, out.Value}
		}
	}
	for i := range touched {
		m.hist[i] = append(m.hist[i], Entry{TxHash: sdk.Hash(txid).String(), Height: height})
	}
}

// mempool adds the unconfirmed transactions: the history entries (height
// -1 with an unconfirmed input, else 0), the unconfirmed balance delta and
// the unspent outputs left.
func (m *model) mempool(ctx context.Context, src Source) error {
	ids, err := src.RawMempool(ctx)
	if err != nil {
		return fmt.Errorf("targets: mempool: %w", err)
	}
	txs := make(map[sdk.Hash]*wire.MsgTx, len(ids))
	for _, id := range ids {
		tx, err := src.GetRawTransaction(ctx, id)
		if err != nil {
			return fmt.Errorf("targets: mempool tx %s: %w", id, err)
		}
		txs[id] = tx
	}
	m.unconf = make([]int64, len(m.hist))
	m.inPool = make([]int, len(m.hist))
	// Outputs first, so spends of mempool outputs find them in any order.
	for _, id := range ids {
		for n, out := range txs[id].TxOut {
			if i, ok := m.idx[string(out.PkScript)]; ok {
				m.utxos[wire.OutPoint{Hash: chainhash.Hash(id), Index: uint32(n)}] = utxo{i, out.Value}
				m.unconf[i] += out.Value
			}
		}
	}
	for _, id := range ids {
		tx := txs[id]
		touched := map[int]bool{}
		height := int64(0)
		for _, in := range tx.TxIn {
			if _, ok := txs[sdk.Hash(in.PreviousOutPoint.Hash)]; ok {
				height = -1
			}
			if u, ok := m.utxos[in.PreviousOutPoint]; ok {
				touched[u.script] = true
				m.unconf[u.script] -= u.value
				delete(m.utxos, in.PreviousOutPoint)
			}
		}
		for _, out := range tx.TxOut {
			if i, ok := m.idx[string(out.PkScript)]; ok {
				touched[i] = true
			}
		}
		for i := range touched {
			m.hist[i] = append(m.hist[i], Entry{TxHash: id.String(), Height: height})
			m.inPool[i]++
		}
	}
	return nil
}

func (m *model) script(i int, w Watch) Script {
	s := Script{
		ScriptHash: ScriptHash(w.PkScript), Script: hex.EncodeToString(w.PkScript),
		Type: w.Type, Address: w.Address, History: len(m.hist[i]),
		Confirmed: m.conf[i], Unconfirmed: m.unconf[i], Mempool: m.inPool[i],
	}
	for _, u := range m.utxos {
		if u.script == i {
			s.UTXOs++
		}
	}
	s.Sample = spread(m.hist[i], SampleSize)
	return s
}

// spread picks up to n entries evenly spaced over h, first and last
// included.
func spread(h []Entry, n int) []Entry {
	if len(h) <= n {
		return append([]Entry(nil), h...)
	}
	out := make([]Entry, 0, n)
	for k := range n {
		out = append(out, h[k*(len(h)-1)/(n-1)])
	}
	return out
}

func isCoinbase(tx *wire.MsgTx) bool {
	return len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint.Index == 0xffffffff &&
		tx.TxIn[0].PreviousOutPoint.Hash == [32]byte{}
}
