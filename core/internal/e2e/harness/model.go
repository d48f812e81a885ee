package harness

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// HistoryEntry is one element of blockchain.scripthash.get_history or
// get_mempool. Fee is set for mempool entries only.
type HistoryEntry struct {
	TxHash string `json:"tx_hash"`
	Height int64  `json:"height"`
	Fee    *int64 `json:"fee,omitempty"`
}

// Unspent is one element of blockchain.scripthash.listunspent.
type Unspent struct {
	TxHash string `json:"tx_hash"`
	TxPos  uint32 `json:"tx_pos"`
	Height int64  `json:"height"`
	Value  int64  `json:"value"`
}

// Balance is the result of blockchain.scripthash.get_balance.
type Balance struct {
	Confirmed   int64 `json:"confirmed"`
	Unconfirmed int64 `json:"unconfirmed"`
}

// confOut is a confirmed unspent output.
type confOut struct {
	sh     string
	value  int64
	height int64
	txnum  int64 // global position of the funding tx in the chain
}

type memOut struct {
	sh    string
	value int64
}

// scriptState is everything the model knows about one script hash.
type scriptState struct {
	script  []byte
	history []HistoryEntry // confirmed, chain order
	utxos   map[wire.OutPoint]confOut
	mempool []HistoryEntry // canonical order
	memUTXO []Unspent      // outputs created by mempool txs
	unconf  int64
	memSpnt map[wire.OutPoint]bool // outpoints of the script spent in the mempool
}

// Model is an independent reference model of what an Electrum server must
// answer for a daemon's current best chain and mempool (docs/protocol.md,
// Encodings; docs/methods.md). Build it with BuildModel after the chain
// stopped moving; it is a snapshot and is read-only afterwards (safe for
// concurrent readers).
type Model struct {
	tip     int64
	hashes  []sdk.Hash   // block hash by height
	headers [][]byte     // 80-byte header by height
	txids   [][]sdk.Hash // txids (internal order) by height, block order
	scripts map[string]*scriptState
	memTxs  []sdk.Hash
	txPos   map[sdk.Hash][2]int64 // confirmed txid -> (height, position)
}

// ModelSource is what BuildModel reads: a btcd RPC client (*regtest.Client;
// a *regtest.Node embeds one).
type ModelSource interface {
	regtest.BlockSource
	GetBestBlockHash(ctx context.Context) (sdk.Hash, error)
	RawMempool(ctx context.Context) ([]sdk.Hash, error)
	Batch(ctx context.Context, reqs []regtest.Request) ([]regtest.Response, error)
}

// BuildModel reads the daemon's whole best chain (raw blocks) and mempool
// (raw transactions) and computes the model. It retries if the tip moved
// while it was reading.
func BuildModel(ctx context.Context, src ModelSource) (*Model, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		m, err := buildOnce(ctx, src)
		if err == nil {
			return m, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func buildOnce(ctx context.Context, src ModelSource) (*Model, error) {
	best, err := src.GetBestBlockHash(ctx)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	tip, err := src.GetBlockCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m := &Model{tip: tip, scripts: map[string]*scriptState{}, txPos: map[sdk.Hash][2]int64{}}
	outs := map[wire.OutPoint]confOut{}
	var txnum int64
	const batch = 50
	for start := int64(0); start <= tip; start += batch {
		end := min(start+batch-1, tip)
		hs, err := src.GetBlockHashes(ctx, start, end)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		bs, err := src.GetBlocks(ctx, hs)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		for i, b := range bs {
			m.addBlock(start+int64(i), hs[i], b, outs, &txnum)
		}
	}
	if m.hashes[tip] != best {
		return nil, fmt.Errorf("model: tip moved while reading (%s, then %s at height %d)", best, m.hashes[tip], tip)
	}
	if err := m.addMempool(ctx, src, outs); err != nil {
		return nil, err
	}
	if again, err := src.GetBestBlockHash(ctx); err != nil || again != best {
		return nil, fmt.Errorf("model: tip moved while reading the mempool (%s -> %s, %v)", best, again, err)
	}
	return m, nil
}

// indexable reports whether a confirmed output is indexed (not OP_RETURN
// or OP_FALSE OP_RETURN, docs/protocol.md, Script hashes).
func indexable(script []byte) bool {
	return !(len(script) > 0 && script[0] == 0x6a) && !(len(script) > 1 && script[0] == 0x00 && script[1] == 0x6a)
}

func (m *Model) state(script []byte) (string, *scriptState) {
	sh := ScriptHash(script)
	s, ok := m.scripts[sh]
	if !ok {
		s = &scriptState{script: bytes.Clone(script), utxos: map[wire.OutPoint]confOut{}, memSpnt: map[wire.OutPoint]bool{}}
		m.scripts[sh] = s
	}
	return sh, s
}

func (m *Model) addBlock(height int64, hash sdk.Hash, b *wire.MsgBlock, outs map[wire.OutPoint]confOut, txnum *int64) {
	var hdr bytes.Buffer
	_ = b.Header.Serialize(&hdr)
	m.hashes = append(m.hashes, hash)
	m.headers = append(m.headers, hdr.Bytes())
	ids := make([]sdk.Hash, len(b.Transactions))
	for pos, tx := range b.Transactions {
		ids[pos] = sdk.Hash(tx.TxHash())
	}
	m.txids = append(m.txids, ids)
	if height == 0 {
		return // the genesis block is not indexed
	}
	for pos, tx := range b.Transactions {
		txid := ids[pos]
		m.txPos[txid] = [2]int64{height, int64(pos)}
		var touched []string
		touch := func(sh string) {
			if !slices.Contains(touched, sh) {
				touched = append(touched, sh)
			}
		}
		if pos > 0 {
			for _, in := range tx.TxIn {
				o, ok := outs[in.PreviousOutPoint]
				if !ok {
					continue
				}
				delete(outs, in.PreviousOutPoint)
				delete(m.scripts[o.sh].utxos, in.PreviousOutPoint)
				touch(o.sh)
			}
		}
		for i, out := range tx.TxOut {
			if !indexable(out.PkScript) {
				continue
			}
			sh, s := m.state(out.PkScript)
			op := wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}
			o := confOut{sh: sh, value: out.Value, height: height, txnum: *txnum}
			outs[op] = o
			s.utxos[op] = o
			touch(sh)
		}
		for _, sh := range touched {
			s := m.scripts[sh]
			s.history = append(s.history, HistoryEntry{TxHash: txid.String(), Height: height})
		}
		*txnum++
	}
}

func (m *Model) addMempool(ctx context.Context, src ModelSource, outs map[wire.OutPoint]confOut) error {
	ids, err := src.RawMempool(ctx)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	txs := make([]*wire.MsgTx, 0, len(ids))
	for start := 0; start < len(ids); start += 200 {
		end := min(start+200, len(ids))
		reqs := make([]regtest.Request, 0, end-start)
		for _, id := range ids[start:end] {
			reqs = append(reqs, regtest.Request{Method: "getrawtransaction", Params: []any{id.String(), 0}})
		}
		rs, err := src.Batch(ctx, reqs)
		if err != nil {
			return fmt.Errorf("model: mempool: %w", err)
		}
		for i, r := range rs {
			if r.Err != nil {
				return fmt.Errorf("model: getrawtransaction %s: %w", ids[start+i], r.Err)
			}
			var s string
			raw, err := hexString(r.Result, &s)
			if err != nil {
				return fmt.Errorf("model: mempool tx %s: %w", ids[start+i], err)
			}
			var tx wire.MsgTx
			if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
				return fmt.Errorf("model: mempool tx %s: %w", ids[start+i], err)
			}
			txs = append(txs, &tx)
		}
	}
	inPool := map[sdk.Hash]bool{}
	mouts := map[wire.OutPoint]memOut{}
	for _, tx := range txs {
		inPool[sdk.Hash(tx.TxHash())] = true
		for i, out := range tx.TxOut { // the mempool does not filter OP_RETURN
			mouts[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}] = memOut{sh: ScriptHash(out.PkScript), value: out.Value}
		}
	}
	for _, tx := range txs {
		txid := sdk.Hash(tx.TxHash())
		m.memTxs = append(m.memTxs, txid)
		var touched []string
		touch := func(sh string) {
			if !slices.Contains(touched, sh) {
				touched = append(touched, sh)
			}
		}
		var fee, height int64
		for _, in := range tx.TxIn {
			op := in.PreviousOutPoint
			var sh string
			var value int64
			if o, ok := mouts[op]; ok {
				sh, value, height = o.sh, o.value, -1
			} else if o, ok := outs[op]; ok {
				sh, value = o.sh, o.value
			} else {
				return fmt.Errorf("model: mempool tx %s spends unknown output %s", txid, op)
			}
			fee += value
			s := m.scripts[sh]
			if s == nil { // an unconfirmed OP_RETURN-less script seen only in the mempool
				_, s = m.stateByHash(sh)
			}
			s.unconf -= value
			s.memSpnt[op] = true
			touch(sh)
		}
		for i, out := range tx.TxOut {
			fee -= out.Value
			sh, s := m.state(out.PkScript)
			s.unconf += out.Value
			s.memUTXO = append(s.memUTXO, Unspent{TxHash: txid.String(), TxPos: uint32(i), Height: 0, Value: out.Value})
			touch(sh)
		}
		for _, sh := range touched {
			f := fee
			s := m.scripts[sh]
			s.mempool = append(s.mempool, HistoryEntry{TxHash: txid.String(), Height: height, Fee: &f})
		}
	}
	for _, s := range m.scripts {
		slices.SortFunc(s.mempool, compareMempool)
	}
	slices.SortFunc(m.memTxs, func(a, b sdk.Hash) int { return strings.Compare(a.String(), b.String()) })
	return nil
}

// stateByHash returns the state of a script hash known only by hash.
func (m *Model) stateByHash(sh string) (string, *scriptState) {
	s, ok := m.scripts[sh]
	if !ok {
		s = &scriptState{utxos: map[wire.OutPoint]confOut{}, memSpnt: map[wire.OutPoint]bool{}}
		m.scripts[sh] = s
	}
	return sh, s
}

// compareMempool is the canonical mempool order: height 0 before -1, then
// txid display hex ascending (docs/protocol.md, Status).
func compareMempool(a, b HistoryEntry) int {
	if a.Height != b.Height {
		return -cmp.Compare(a.Height, b.Height)
	}
	return strings.Compare(a.TxHash, b.TxHash)
}

func hexString(raw []byte, s *string) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, fmt.Errorf("not a JSON string: %.40s", raw)
	}
	uq, err := strconv.Unquote(string(raw))
	if err != nil {
		return nil, err
	}
	*s = uq
	return hex.DecodeString(uq)
}

// Tip returns the height of the best block.
func (m *Model) Tip() int64 { return m.tip }

// BlockHash returns the hash of the block at height.
func (m *Model) BlockHash(height int64) sdk.Hash { return m.hashes[height] }

// BlockHashes returns the block hashes of heights 0..Tip (shared slice; do
// not modify).
func (m *Model) BlockHashes() []sdk.Hash { return m.hashes }

// HeaderHex returns the 80-byte header at height in hex.
func (m *Model) HeaderHex(height int64) string { return hex.EncodeToString(m.headers[height]) }

// MerkleRootAt returns the merkle root field of the header at height.
func (m *Model) MerkleRootAt(height int64) sdk.Hash {
	var h sdk.Hash
	copy(h[:], m.headers[height][36:68])
	return h
}

// BlockTxids returns the txids of the block at height in block order
// (shared slice; do not modify).
func (m *Model) BlockTxids(height int64) []sdk.Hash { return m.txids[height] }

// TxPos returns the height and in-block position of a confirmed tx.
func (m *Model) TxPos(txid sdk.Hash) (height, pos int64, ok bool) {
	p, ok := m.txPos[txid]
	return p[0], p[1], ok
}

// MempoolTxids returns the mempool's txids, display-hex ascending.
func (m *Model) MempoolTxids() []sdk.Hash { return m.memTxs }

// ScriptHashes returns every script hash the chain (from height 1) or the
// mempool touches, sorted.
func (m *Model) ScriptHashes() []string {
	out := make([]string, 0, len(m.scripts))
	for sh := range m.scripts {
		out = append(out, sh)
	}
	slices.Sort(out)
	return out
}

// Script returns the output script of a script hash (nil if unknown).
func (m *Model) Script(sh string) []byte {
	if s := m.scripts[sh]; s != nil {
		return s.script
	}
	return nil
}

func (m *Model) get(sh string) *scriptState {
	if s := m.scripts[sh]; s != nil {
		return s
	}
	return &scriptState{}
}

// ConfirmedHistory returns the confirmed part of get_history.
func (m *Model) ConfirmedHistory(sh string) []HistoryEntry {
	return append([]HistoryEntry{}, m.get(sh).history...)
}

// Mempool returns blockchain.scripthash.get_mempool's answer.
func (m *Model) Mempool(sh string) []HistoryEntry {
	return append([]HistoryEntry{}, m.get(sh).mempool...)
}

// History returns blockchain.scripthash.get_history's answer.
func (m *Model) History(sh string) []HistoryEntry {
	s := m.get(sh)
	return append(append([]HistoryEntry{}, s.history...), s.mempool...)
}

// Balance returns blockchain.scripthash.get_balance's answer.
func (m *Model) Balance(sh string) Balance {
	s := m.get(sh)
	b := Balance{Unconfirmed: s.unconf}
	for _, o := range s.utxos {
		b.Confirmed += o.value
	}
	return b
}

// ListUnspent returns blockchain.scripthash.listunspent's answer:
// confirmed UTXOs in chain order, then mempool-created ones sorted by
// (tx_hash, tx_pos), minus outpoints spent in the mempool. The server may
// order the mempool part freely: compare through NormalizeUnspent.
func (m *Model) ListUnspent(sh string) []Unspent {
	s := m.get(sh)
	type conf struct {
		op wire.OutPoint
		o  confOut
	}
	cs := make([]conf, 0, len(s.utxos))
	for op, o := range s.utxos {
		cs = append(cs, conf{op, o})
	}
	slices.SortFunc(cs, func(a, b conf) int {
		return cmp.Or(cmp.Compare(a.o.txnum, b.o.txnum), cmp.Compare(a.op.Index, b.op.Index))
	})
	out := []Unspent{}
	for _, c := range cs {
		if s.memSpnt[c.op] {
			continue
		}
		out = append(out, Unspent{TxHash: sdk.Hash(c.op.Hash).String(), TxPos: c.op.Index, Height: c.o.height, Value: c.o.value})
	}
	for _, u := range s.memUTXO {
		h, _ := sdk.ParseHash(u.TxHash)
		if !s.memSpnt[wire.OutPoint{Hash: chainhash.Hash(h), Index: u.TxPos}] {
			out = append(out, u)
		}
	}
	return NormalizeUnspent(out)
}

// NormalizeUnspent sorts the unconfirmed (height 0) entries of a
// listunspent answer by (tx_hash, tx_pos), in place, keeping confirmed
// entries where they are; it returns the slice.
func NormalizeUnspent(us []Unspent) []Unspent {
	i := slices.IndexFunc(us, func(u Unspent) bool { return u.Height == 0 })
	if i >= 0 {
		slices.SortStableFunc(us[i:], func(a, b Unspent) int {
			return cmp.Or(cmp.Compare(b.Height, a.Height), strings.Compare(a.TxHash, b.TxHash), cmp.Compare(a.TxPos, b.TxPos))
		})
	}
	return us
}

// Status returns the subscription status of a script hash (nil for JSON
// null), docs/protocol.md, Status.
func (m *Model) Status(sh string) *string { return StatusOf(m.History(sh)) }

// StatusOf computes the Electrum status of a history list, in the order
// given: nil when empty, else hex(sha256("txid:height:" ...)).
func StatusOf(h []HistoryEntry) *string {
	if len(h) == 0 {
		return nil
	}
	var b strings.Builder
	for _, e := range h {
		b.WriteString(e.TxHash)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(e.Height, 10))
		b.WriteByte(':')
	}
	sum := sha256.Sum256([]byte(b.String()))
	s := hex.EncodeToString(sum[:])
	return &s
}

// ChangedScripts returns the script hashes whose status differs between
// old and m (sorted).
func (m *Model) ChangedScripts(old *Model) []string {
	seen := map[string]bool{}
	var out []string
	for _, mm := range []*Model{m, old} {
		for sh := range mm.scripts {
			if seen[sh] {
				continue
			}
			seen[sh] = true
			a, b := m.Status(sh), old.Status(sh)
			if (a == nil) != (b == nil) || (a != nil && *a != *b) {
				out = append(out, sh)
			}
		}
	}
	slices.Sort(out)
	return out
}
