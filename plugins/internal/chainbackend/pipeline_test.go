package chainbackend

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
)

// TestBlocksPipelined checks that the next batch is fetched while yield is
// still busy with the current one.
func TestBlocksPipelined(t *testing.T) {
	d := fakedaemon.New(t)
	chain := newFakeChain(6)
	chain.install(d, core)
	b := newBackend(t, d, `,"batch_size":2`)
	secondBatch := make(chan struct{}, 10)
	d.Handle("getblockhash", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		h := intParam(p, 0)
		if h >= 2 {
			secondBatch <- struct{}{}
		}
		if h >= len(chain.hashes) {
			return nil, &fakedaemon.Error{Code: -8, Message: "Block height out of range"}
		}
		return chain.hashes[h].String(), nil
	})
	n := 0
	err := b.Blocks(bg, 0, 6, func(blk sdk.Block) error {
		if n++; n == 1 {
			select {
			case <-secondBatch:
			case <-time.After(10 * time.Second):
				t.Error("the second batch was not requested while block 0 was being consumed")
			}
		}
		return nil
	})
	if err != nil || n != 6 {
		t.Fatalf("got %d blocks, %v", n, err)
	}
}

// sizedChain is a fake chain whose block i is sizes[i] bytes long.
func sizedChain(sizes []int) *fakeChain {
	c := newFakeChain(len(sizes))
	for i, n := range sizes {
		raw := make([]byte, n)
		copy(raw, c.raw[i][:80])
		c.raw[i] = raw
	}
	return c
}

// TestBlocksWindow: the bytes of blocks Blocks holds (fetched and not yet
// yielded) never exceed fetch_window_mb while the consumer is slow, however
// the block sizes change, and every block still arrives in order. Before
// the window, batches of batch_size blocks (here 1000 blocks of up to
// 250 kB) were held three at a time.
func TestBlocksWindow(t *testing.T) {
	const window = 1 << 20
	var sizes []int
	for i := range 120 {
		switch {
		case i < 40:
			sizes = append(sizes, 100+i) // tiny blocks: batches of batch_size
		case i < 80:
			sizes = append(sizes, 250_000) // a jump: the batch is cut at its part of the window
		default:
			sizes = append(sizes, 30_000+i*1000)
		}
	}
	chain := sizedChain(sizes)
	for _, fl := range []flavor{core, btcd} {
		t.Run(fl.String(), func(t *testing.T) {
			d := fakedaemon.New(t)
			chain.install(d, fl)
			b := newBackend(t, d, `,"batch_size":1000,"fetch_window_mb":1`)
			next := int64(0)
			err := b.Blocks(bg, 0, len(sizes), func(blk sdk.Block) error {
				if blk.Height != next || len(blk.Raw) != sizes[next] || blk.Hash != chain.hashes[next] {
					t.Fatalf("block %d (%d bytes), want %d (%d bytes)", blk.Height, len(blk.Raw), next, sizes[next])
				}
				next++
				// A slow consumer: let the fetcher run ahead as far as it can.
				time.Sleep(time.Millisecond)
				return nil
			})
			if err != nil || next != int64(len(sizes)) {
				t.Fatalf("got %d blocks, %v", next, err)
			}
			if p := b.held.peak.Load(); p > window || p < window/4 {
				t.Errorf("peak held %d bytes, want at most the window %d (and some use of it)", p, window)
			}
			if n := b.held.now.Load(); n != 0 {
				t.Errorf("%d bytes still counted as held", n)
			}
		})
	}
}

// TestBlocksWindowLargeBlock: a block larger than the window still
// arrives (a batch always holds one block); the bytes held are then at most
// windowSlots such blocks.
func TestBlocksWindowLargeBlock(t *testing.T) {
	const window = 1 << 20
	sizes := []int{500, 2 << 20, 600, 400_000, 400_000, 3 << 20, 700}
	chain := sizedChain(sizes)
	d := fakedaemon.New(t)
	chain.install(d, core)
	b := newBackend(t, d, `,"fetch_window_mb":1`)
	var got []int
	err := b.Blocks(bg, 0, len(sizes), func(blk sdk.Block) error {
		got = append(got, len(blk.Raw))
		return nil
	})
	if err != nil || !slices.Equal(got, sizes) {
		t.Fatalf("got sizes %v, %v", got, err)
	}
	if p := b.held.peak.Load(); p > windowSlots*(3<<20) {
		t.Errorf("peak held %d bytes", p)
	}
}

// TestBlocksStopsEarly: when yield fails, Blocks returns its error and
// nothing stays counted as held.
func TestBlocksStopsEarly(t *testing.T) {
	chain := sizedChain(slices.Repeat([]int{50_000}, 60))
	d := fakedaemon.New(t)
	chain.install(d, core)
	b := newBackend(t, d, `,"fetch_window_mb":1`)
	stop := errors.New("enough")
	n := 0
	err := b.Blocks(bg, 0, 60, func(sdk.Block) error {
		if n++; n == 15 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err %v", err)
	}
	if h := b.held.now.Load(); h != 0 {
		t.Errorf("%d bytes still counted as held", h)
	}
	// The fetcher stopped with yield: 5 blocks fit in a batch, block 15 is
	// in the third, so the fetcher was at most in the sixth (the batches
	// waiting and the one being fetched; without the stop it makes 12).
	if n := getblockBatches(d); n > 3+windowSlots-1 {
		t.Errorf("%d getblock batches after a stop at block 15", n)
	}
}

// getblockBatches counts the getblock requests the fake daemon received.
func getblockBatches(d *fakedaemon.Daemon) int {
	n := 0
	for _, body := range d.Bodies() {
		if strings.Contains(body, `"getblock"`) {
			n++
		}
	}
	return n
}
