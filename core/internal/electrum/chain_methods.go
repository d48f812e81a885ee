package electrum

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// maxChunk is the headers-per-request limit of block.headers.
const maxChunk = 2016

type headerResult struct {
	Hex    string `json:"hex"`
	Height int64  `json:"height"`
}

func (t headerTip) result() headerResult {
	return headerResult{Hex: hex.EncodeToString(t.header), Height: t.height}
}

func headersSubscribe(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	tip := c.srv.currentTip()
	c.h.mu.Lock()
	c.h.headersSub = true
	c.h.lastHeader = tip.hash
	c.h.mu.Unlock()
	return tip.result(), nil
}

// rawHeader returns the header at height or "height <h> out of range".
func (srv *Server) rawHeader(ctx context.Context, height int64) ([]byte, error) {
	tipHeight, _, _ := srv.ix.Tip()
	if height > tipHeight {
		return nil, badRequest("height %s out of range", pyfmt.Thousands(height))
	}
	hdr, err := srv.ix.Headers(ctx, height, 1)
	if err != nil {
		return nil, fmt.Errorf("header %d: %w", height, err)
	}
	if len(hdr) == 0 {
		return nil, badRequest("height %s out of range", pyfmt.Thousands(height))
	}
	return hdr, nil
}

type proof struct {
	Branch []string `json:"branch"`
	Root   string   `json:"root"`
}

// headerProof proves the header at height against cp_height (docs/protocol.md, Checkpoint proofs).
func (srv *Server) headerProof(ctx context.Context, cpHeight, height int64) (proof, error) {
	tipHeight, _, _ := srv.ix.Tip()
	if !(height <= cpHeight && cpHeight <= tipHeight) {
		return proof{}, badRequest("require header height %s <= cp_height %s <= chain height %s",
			pyfmt.Thousands(height), pyfmt.Thousands(cpHeight), pyfmt.Thousands(tipHeight))
	}
	branch, root, err := srv.headerTree.Proof(ctx, srv.ix.BlockHashes, height, cpHeight)
	if err != nil {
		return proof{}, fmt.Errorf("header proof %d/%d: %w", height, cpHeight, err)
	}
	return proof{Branch: displayHashes(branch), Root: root.String()}, nil
}

func displayHashes(hs []sdk.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func blockHeader(ctx context.Context, c *call) (any, error) {
	height, jerr := nonNegInt(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	cp, jerr := optNonNegInt(c.args[1], 0)
	if jerr != nil {
		return nil, jerr
	}
	hdr, err := c.srv.rawHeader(ctx, height)
	if err != nil {
		return nil, err
	}
	if cp == 0 {
		c.charge(units{})
		return hex.EncodeToString(hdr), nil
	}
	c.charge(units{Proof: true})
	pr, err := c.srv.headerProof(ctx, cp, height)
	if err != nil {
		return nil, err
	}
	return struct {
		Header string `json:"header"`
		proof
	}{hex.EncodeToString(hdr), pr}, nil
}

type headersResult struct {
	Hex    string   `json:"hex"`
	Count  int      `json:"count"`
	Max    int      `json:"max"`
	Branch []string `json:"branch,omitempty"`
	Root   string   `json:"root,omitempty"`
}

// headersListResult is the 1.6 form: one hex string per header.
type headersListResult struct {
	Headers []string `json:"headers"`
	Count   int      `json:"count"`
	Max     int      `json:"max"`
	Branch  []string `json:"branch,omitempty"`
	Root    string   `json:"root,omitempty"`
}

// readHeaders serves block.headers in every version: it returns the
// headers found (80 bytes each) and the proof of the last one when
// cp_height asks for it, and charges the cost.
func readHeaders(ctx context.Context, c *call) ([]byte, *proof, error) {
	start, jerr := nonNegInt(c.args[0])
	if jerr != nil {
		return nil, nil, jerr
	}
	count, jerr := nonNegInt(c.args[1])
	if jerr != nil {
		return nil, nil, jerr
	}
	cp, jerr := optNonNegInt(c.args[2], 0)
	if jerr != nil {
		return nil, nil, jerr
	}
	// Charged for the headers actually served: ElectrumX charges count/50
	// before clamping, which lets one tiny request carry a cost of 2e9
	// into its groups (issue 11.1); Amber charges after.
	n := int(min(count, maxChunk))
	var raw []byte
	if tipHeight, _, _ := c.srv.ix.Tip(); n > 0 && start <= tipHeight {
		var err error
		if raw, err = c.srv.ix.Headers(ctx, start, n); err != nil {
			return nil, nil, fmt.Errorf("headers %d+%d: %w", start, n, err)
		}
	}
	got := len(raw) / 80
	raw = raw[:got*80]
	var pr *proof
	if got > 0 && cp != 0 {
		p, err := c.srv.headerProof(ctx, cp, start+int64(got)-1)
		if err != nil {
			return nil, nil, err
		}
		pr = &p
	}
	c.charge(units{N: got, Proof: pr != nil})
	return raw, pr, nil
}

// blockHeaders: 1.4.x, the headers concatenated in "hex".
func blockHeaders(ctx context.Context, c *call) (any, error) {
	raw, pr, err := readHeaders(ctx, c)
	if err != nil {
		return nil, err
	}
	res := headersResult{Hex: hex.EncodeToString(raw), Count: len(raw) / 80, Max: maxChunk}
	if pr != nil {
		res.Branch, res.Root = pr.Branch, pr.Root
	}
	return res, nil
}

// blockHeadersList: 1.6+, the headers as a list in "headers".
func blockHeadersList(ctx context.Context, c *call) (any, error) {
	raw, pr, err := readHeaders(ctx, c)
	if err != nil {
		return nil, err
	}
	res := headersListResult{Headers: make([]string, 0, len(raw)/80), Count: len(raw) / 80, Max: maxChunk}
	for i := 0; i < len(raw); i += 80 {
		res.Headers = append(res.Headers, hex.EncodeToString(raw[i:i+80]))
	}
	if pr != nil {
		res.Branch, res.Root = pr.Branch, pr.Root
	}
	return res, nil
}

// blockTxids returns the txids of the block at height through the cache and
// the cost of the lookup (T in docs/methods.md, Component costs).
func (srv *Server) blockTxids(ctx context.Context, height int64) ([]sdk.Hash, uint64, float64, error) {
	srv.stats.TxidLookups.Add(1)
	if v, gen, ok := srv.blocks.getTxids(height); ok {
		srv.stats.TxidHits.Add(1)
		return v, gen, txidsCachedCost, nil
	}
	for attempt := 0; ; attempt++ {
		_, gen, _ := srv.blocks.getTxids(height)
		txids, err := srv.ix.BlockTxids(ctx, height)
		if errors.Is(err, index.ErrBlockNotFound) {
			tipHeight, _, _ := srv.ix.Tip()
			if height <= tipHeight {
				// genesis: header indexed, coinbase not (docs/protocol.md, Index)
				return nil, gen, txidsEmptyCost, nil
			}
			return nil, 0, 0, badRequest("db error: DBError('block %s not on disk (>%s)')", pyfmt.Thousands(height), pyfmt.Thousands(tipHeight))
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("block %d txids: %w", height, err)
		}
		if srv.blocks.putTxids(height, txids, gen) || attempt > 0 {
			return txids, gen, txidsReadCost(len(txids)), nil
		}
		// a reorg cleared the cache during the read: read once more
	}
}

// branch returns the merkle branch of position pos and its cost (M).
func (srv *Server) branch(height int64, txids []sdk.Hash, gen uint64, pos int) ([]string, float64) {
	// Small blocks' trees are cached too (a few KB each; wallets ask for the
	// same recent blocks again and again) but charged as uncached: the warm
	// discount stays with the blocks whose trees are cached (docs/protocol.md,
	// Caches and notifications).
	t, warm := srv.blocks.tree(height, txids, gen)
	br, _ := t.Branch(pos)
	return displayHashes(br), merkleCost(len(txids), warm)
}

func transactionGetMerkle(ctx context.Context, c *call) (any, error) {
	txid, jerr := parseTxHash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	height, jerr := nonNegInt(c.args[1])
	if jerr != nil {
		return nil, jerr
	}
	txids, gen, cost, err := c.srv.blockTxids(ctx, height)
	if err != nil {
		return nil, err
	}
	c.charge(units{Lookup: cost})
	pos := -1
	for i, h := range txids {
		if h == txid {
			pos = i
			break
		}
	}
	if pos < 0 {
		sent, _ := jsonString(c.args[0])
		return nil, badRequest("tx %s not in block at height %s", sent, pyfmt.Thousands(height))
	}
	br, mcost := c.srv.branch(height, txids, gen, pos)
	c.charge(units{Lookup: mcost})
	return struct {
		BlockHeight int64    `json:"block_height"`
		Merkle      []string `json:"merkle"`
		Pos         int      `json:"pos"`
	}{height, br, pos}, nil
}

func transactionIDFromPos(ctx context.Context, c *call) (any, error) {
	// tx_pos is checked before height (session.py transaction_id_from_pos).
	pos, jerr := nonNegInt(c.args[1])
	if jerr != nil {
		return nil, jerr
	}
	height, jerr := nonNegInt(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	wantMerkle, jerr := parseBool(c.args[2], "merkle")
	if jerr != nil {
		return nil, jerr
	}
	txids, gen, cost, err := c.srv.blockTxids(ctx, height)
	if err != nil {
		return nil, err
	}
	c.charge(units{Lookup: cost})
	if pos >= int64(len(txids)) {
		return nil, badRequest("no tx at position %s in block at height %s", pyfmt.Thousands(pos), pyfmt.Thousands(height))
	}
	txid := txids[pos].String()
	if !wantMerkle {
		return txid, nil
	}
	br, mcost := c.srv.branch(height, txids, gen, int(pos))
	c.charge(units{Lookup: mcost})
	return struct {
		TxHash string   `json:"tx_hash"`
		Merkle []string `json:"merkle"`
	}{txid, br}, nil
}
