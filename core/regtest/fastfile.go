package regtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// WriteFast and SubmitBlocks split GenerateFast in two, so that btcd can
// skip the script checks of a chain it is told is good, like bitcoind's
// assumevalid: WriteFast builds the chain of spec without a node and
// streams its blocks to a file; the tip is then known, a fresh btcd is
// started with CheckpointArg(tip) and SubmitBlocks sends it the file. btcd
// runs no scripts for blocks at or below its latest checkpoint
// (blockchain/validate.go, checkConnectBlock) but does every other check;
// the blocks are the same fully signed blocks GenerateFast submits (same
// seed, same chain), which a node without the checkpoint accepts too.

// WriteFast builds the chain of spec like GenerateFast and writes its
// blocks to w in order, each in its wire encoding (with witnesses), one
// after the other. FastInfo.Submit stays zero.
func WriteFast(ctx context.Context, w io.Writer, spec FastSpec) (*FastInfo, error) {
	start := time.Now()
	if err := spec.defaults(); err != nil {
		return nil, err
	}
	g, err := newFastGen(spec)
	if err != nil {
		return nil, err
	}
	fw := &fileSink{w: bufio.NewWriterSize(w, 4<<20)}
	if err := g.run(ctx, fw); err != nil {
		return nil, fmt.Errorf("write fast: %w", err)
	}
	if err := fw.w.Flush(); err != nil {
		return nil, fmt.Errorf("write fast: %w", err)
	}
	g.info.Height, g.info.TipHash = g.height, g.prevHash
	g.info.Elapsed = time.Since(start)
	return g.info, nil
}

// fileSink writes the generator's blocks to a stream.
type fileSink struct{ w *bufio.Writer }

func (f *fileSink) send(_ context.Context, b *wire.MsgBlock) error {
	if err := b.Serialize(f.w); err != nil {
		return fmt.Errorf("write block: %w", err)
	}
	return nil
}

func (f *fileSink) pending() int64 { return 0 }

// CheckpointArg is btcd's command-line flag that adds a checkpoint at
// height with hash: btcd then skips the script checks of every block up to
// that height.
func CheckpointArg(height int64, hash chainhash.Hash) string {
	return fmt.Sprintf("--addcheckpoint=%d:%s", height, hash)
}

// SubmitStats says what SubmitBlocks sent.
type SubmitStats struct {
	Blocks  int
	Txs     int64 // transactions in those blocks, coinbases included
	Tip     chainhash.Hash
	Elapsed time.Duration // whole call
	Submit  time.Duration // wall time of the submitblock calls
}

// SubmitBlocks reads blocks as WriteFast wrote them from r and submits
// them in order, with up to depth submitblock calls in flight (1: one at a
// time; more keeps btcd connecting a block while it parses the next
// request, at the price of the odd block reaching it before its parent,
// which btcd keeps as an orphan until the parent comes), then checks that
// the node's tip is the last block. logger (nil: discard) gets progress
// about every 10 s.
func SubmitBlocks(ctx context.Context, node FastNode, r io.Reader, depth int, logger *slog.Logger) (*SubmitStats, error) {
	start := time.Now()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sub := startSubmitter(ctx, node, cancel, depth)
	br := bufio.NewReaderSize(r, 1<<20)
	st := &SubmitStats{}
	last := time.Now()
	var err error
	for {
		if _, err = br.Peek(1); errors.Is(err, io.EOF) {
			err = nil
			break
		}
		b := new(wire.MsgBlock)
		if err = b.Deserialize(br); err != nil {
			err = fmt.Errorf("read block %d: %w", st.Blocks+1, err)
			break
		}
		st.Blocks++
		st.Tip = b.BlockHash()
		if err = sub.send(ctx, b); err != nil {
			break
		}
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			logger.Info("submitting", "blocks", st.Blocks, "queue", sub.pending())
		}
	}
	close(sub.in)
	<-sub.done
	st.Txs, st.Submit = sub.txs, sub.elapsed
	if err == nil {
		err = sub.err
	}
	if err == nil {
		err = context.Cause(ctx)
	}
	if err == nil && st.Blocks == 0 {
		err = errors.New("no blocks")
	}
	if err == nil {
		err = checkTip(ctx, node, st.Tip)
	}
	if err != nil {
		return nil, fmt.Errorf("submit blocks: %w", err)
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// submitter sends blocks with submitblock beside the generator or the
// file reader, up to depth calls at a time, started in order.
type submitter struct {
	in     chan *wire.MsgBlock
	done   chan struct{}
	queued atomic.Int64

	mu        sync.Mutex
	err       error
	elapsed   time.Duration // time with at least one call in flight
	txs       int64
	inflight  int
	busySince time.Time
}

func startSubmitter(ctx context.Context, node FastNode, cancel context.CancelCauseFunc, depth int) *submitter {
	s := &submitter{in: make(chan *wire.MsgBlock, 4), done: make(chan struct{})}
	sem := make(chan struct{}, max(depth, 1))
	go func() {
		defer close(s.done)
		var wg sync.WaitGroup
		for b := range s.in {
			s.queued.Add(-1)
			if s.failed() {
				continue
			}
			sem <- struct{}{}
			s.begin()
			wg.Go(func() {
				defer func() { <-sem }()
				err := node.SubmitBlock(ctx, b)
				s.end(len(b.Transactions), err, cancel)
			})
		}
		wg.Wait()
	}()
	return s
}

func (s *submitter) failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil
}

func (s *submitter) begin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == 0 {
		s.busySince = time.Now()
	}
	s.inflight++
}

func (s *submitter) end(txs int, err error, cancel context.CancelCauseFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight--; s.inflight == 0 {
		s.elapsed += time.Since(s.busySince)
	}
	if err != nil {
		if s.err == nil {
			s.err = err
			cancel(err)
		}
		return
	}
	s.txs += int64(txs)
}

// checkTip fails unless node's best block is want.
func checkTip(ctx context.Context, node FastNode, want chainhash.Hash) error {
	best, err := node.GetBestBlockHash(ctx)
	if err != nil {
		return err
	}
	if best != sdk.Hash(want) {
		return fmt.Errorf("the node's tip is %s, the last block submitted %s", best, want)
	}
	return nil
}
