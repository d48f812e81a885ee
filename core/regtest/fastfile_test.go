package regtest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// WriteFast writes the very chain GenerateFast submits, and SubmitBlocks
// sends it back block for block.
func TestWriteFastSameChainAsGenerateFast(t *testing.T) {
	ctx := context.Background()
	direct := &recordingNode{}
	want, err := GenerateFast(ctx, direct, smallFastSpec(3))
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	info, err := WriteFast(ctx, &file, smallFastSpec(3))
	if err != nil {
		t.Fatal(err)
	}
	if info.TipHash != want.TipHash || info.Height != want.Height || info.Txs != want.Txs || info.Bytes != int64(file.Len()) {
		t.Fatalf("written: tip %s height %d txs %d, %d bytes (info %d); direct: tip %s height %d txs %d",
			info.TipHash, info.Height, info.Txs, file.Len(), info.Bytes, want.TipHash, want.Height, want.Txs)
	}
	if len(info.Tracked) != len(want.Tracked) || len(info.Tracked[0].History) != len(want.Tracked[0].History) {
		t.Fatalf("tracked scripts differ")
	}
	raw := file.Bytes()
	replay := &recordingNode{}
	st, err := SubmitBlocks(ctx, replay, bytes.NewReader(raw), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Blocks != len(direct.blocks) || st.Tip != want.TipHash || st.Txs != int64(want.Txs)+want.Height {
		t.Fatalf("replayed %d blocks, %d txs, tip %s; want %d blocks, tip %s", st.Blocks, st.Txs, st.Tip, len(direct.blocks), want.TipHash)
	}
	for i, b := range replay.blocks {
		if b.BlockHash() != direct.blocks[i].BlockHash() || b.SerializeSize() != direct.blocks[i].SerializeSize() {
			t.Fatalf("block %d differs", i+1)
		}
	}
	// A file cut inside a block is an error, not a shorter chain.
	if _, err := SubmitBlocks(ctx, &recordingNode{}, bytes.NewReader(raw[:len(raw)-100]), 1, nil); err == nil {
		t.Fatal("a truncated file was accepted")
	}
	if _, err := SubmitBlocks(ctx, &recordingNode{}, bytes.NewReader(nil), 1, nil); err == nil {
		t.Fatal("an empty file was accepted")
	}
}

func TestCheckpointArg(t *testing.T) {
	h := chainhash.Hash{1}
	if got, want := CheckpointArg(435, h), "--addcheckpoint=435:"+h.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A real btcd started with a checkpoint at the written chain's tip accepts
// the whole file, sent three blocks at a time (so some arrive before their
// parent); one whose checkpoint names another hash at that height
// rejects the last block (so the flag is in force and the fast path is the
// checkpoint's). TestGenerateFastRealBtcd checks the same blocks with every
// script run.
func TestSubmitBlocksCheckpointRealBtcd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var file bytes.Buffer
	info, err := WriteFast(ctx, &file, smallFastSpec(11))
	if err != nil {
		t.Fatal(err)
	}
	node := StartTestNode(t, NodeOptions{ExtraArgs: []string{CheckpointArg(info.Height, info.TipHash)}})
	st, err := SubmitBlocks(ctx, node, bytes.NewReader(file.Bytes()), 3, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, node.Output())
	}
	tip, err := node.GetBlockCount(ctx)
	if err != nil || tip != info.Height || st.Tip != info.TipHash || st.Blocks != int(info.Height) {
		t.Fatalf("node tip %d (%v), submitted %d blocks to %s; generated %d to %s", tip, err, st.Blocks, st.Tip, info.Height, info.TipHash)
	}
	blk, err := node.GetBlocks(ctx, []sdk.Hash{sdk.Hash(info.TipHash)})
	if err != nil || len(blk) != 1 || len(blk[0].Transactions) < 2 {
		t.Fatalf("tip block: %v", err)
	}

	other := StartTestNode(t, NodeOptions{ExtraArgs: []string{CheckpointArg(info.Height, chainhash.Hash{1})}})
	_, err = SubmitBlocks(ctx, other, bytes.NewReader(file.Bytes()), 3, nil)
	if err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("btcd with another checkpoint hash: err %v", err)
	}
	if tip, err := other.GetBlockCount(ctx); err != nil || tip != info.Height-1 {
		t.Fatalf("btcd with another checkpoint hash is at %d (%v), want %d", tip, err, info.Height-1)
	}
}

// SubmitBlocks reads whatever the file holds without panicking: an error,
// or blocks that the node took (here: linked to its tip and sane).
func FuzzSubmitBlocksFile(f *testing.F) {
	var file bytes.Buffer
	spec := smallFastSpec(2)
	spec.Txs, spec.TxPerBlock = 20, 10
	if _, err := WriteFast(context.Background(), &file, spec); err != nil {
		f.Fatal(err)
	}
	raw := file.Bytes()
	f.Add(raw[:min(len(raw), 4096)])
	f.Add(raw[:0])
	f.Add([]byte{0x01, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		node := &recordingNode{}
		st, err := SubmitBlocks(context.Background(), node, bytes.NewReader(data), 2, nil)
		if err != nil {
			return
		}
		if st.Blocks == 0 || st.Blocks != len(node.blocks) || st.Tip != node.blocks[len(node.blocks)-1].BlockHash() {
			t.Fatalf("%d blocks read, node took %d", st.Blocks, len(node.blocks))
		}
	})
}
