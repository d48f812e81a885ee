package bmmtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/internal/testchain"
	"github.com/amber-electrum/amber/sdk"
)

// nodeSide is a proof.Sidechain read straight from node S: headers and
// merkle branches computed here from getblock.
type nodeSide struct{ n *regtest.Node }

func (s nodeSide) block(ctx context.Context, height int64) ([]sdk.Hash, []byte, error) {
	h, err := s.n.GetBlockHash(ctx, height)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.n.GetBlock(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	var hdr bytes.Buffer
	if err := b.Header.Serialize(&hdr); err != nil {
		return nil, nil, err
	}
	ids := make([]sdk.Hash, len(b.Transactions))
	for i, tx := range b.Transactions {
		ids[i] = sdk.Hash(tx.TxHash())
	}
	return ids, hdr.Bytes(), nil
}

func (s nodeSide) Header(ctx context.Context, height int64) ([]byte, error) {
	_, hdr, err := s.block(ctx, height)
	return hdr, err
}

func (s nodeSide) TxMerkle(ctx context.Context, txid sdk.Hash, height int64) ([]string, int, error) {
	ids, _, err := s.block(ctx, height)
	if err != nil {
		return nil, 0, err
	}
	for i, id := range ids {
		if id == txid {
			br, _ := merkle.Branch(ids, i)
			return merkle.Display(br), i, nil
		}
	}
	return nil, 0, sdk.Errorf(sdk.KindNotFound, "tx %s is not in block %d", txid, height)
}

// submit builds a block on M's tip whose coinbase carries accepts, submits
// it and checks that it became the tip. tag keeps competing blocks apart.
func submit(t *testing.T, ctx context.Context, m *regtest.Node, tag int64, l bip301.Layout, accepts ...bip301.Accept) sdk.Hash {
	t.Helper()
	return submitBlock(t, ctx, m, tag, false, l, accepts...)
}

// submitBlock is submit with a choice of a segwit coinbase (the witness
// reserved value as its witness and a witness commitment output; the node
// must have segwit active, from height 432 on btcd regtest).
func submitBlock(t *testing.T, ctx context.Context, m *regtest.Node, tag int64, witness bool, l bip301.Layout, accepts ...bip301.Accept) sdk.Hash {
	t.Helper()
	tipHash, err := m.GetBestBlockHash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := m.GetBlock(ctx, tipHash)
	if err != nil {
		t.Fatal(err)
	}
	height, err := m.GetBlockCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subsidy := blockchain.CalcBlockSubsidy(int32(height+1), &chaincfg.RegressionNetParams) // halves every 150 blocks
	cb := testchain.Coinbase(height+1, subsidy, tag, l, accepts...)
	if witness {
		testchain.AddWitnessCommitment([]*wire.MsgTx{cb})
	}
	b := testchain.NewBlock(chainhash.Hash(tipHash), tip.Header.Bits, tip.Header.Timestamp.Add(1e9), cb)
	var buf bytes.Buffer
	if err := b.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	raw, err := m.Call(ctx, "submitblock", hex.EncodeToString(buf.Bytes()))
	if err != nil {
		t.Fatalf("submitblock: %v", err)
	}
	var reason *string
	if err := json.Unmarshal(raw, &reason); err != nil || reason != nil {
		t.Fatalf("submitblock rejected the block: %s", raw)
	}
	want := sdk.Hash(b.BlockHash())
	if got, err := m.GetBestBlockHash(ctx); err != nil || got != want {
		t.Fatalf("tip after submitblock = %s (%v), want %s", got, err, want)
	}
	return want
}
