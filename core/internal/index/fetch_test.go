package index

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// streamChain wraps a fakeChain: it counts the Blocks streams open at once,
// can make the streams of the first two ranges (from 0 and from 4) wait
// until both are open, and can fail the stream that reaches height failAt.
type streamChain struct {
	*fakeChain
	mu         sync.Mutex
	open, peak int
	both       chan struct{} // closed when the first two ranges' streams are open
	arrived    int
	failAt     int64 // -1: never
}

var errStreamBroke = errors.New("stream broke")

func (c *streamChain) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	c.mu.Lock()
	c.open++
	c.peak = max(c.peak, c.open)
	wait := c.both != nil && (start == 0 || start == 4)
	if wait {
		if c.arrived++; c.arrived == 2 {
			close(c.both)
		}
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.open--
		c.mu.Unlock()
	}()
	if wait {
		// A guard against a hang, not a timing assertion: both streams
		// open at once when the fetcher runs two.
		select {
		case <-c.both:
		case <-time.After(10 * time.Second):
			return errors.New("the first two ranges were not streamed at once")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return c.fakeChain.Blocks(ctx, start, count, func(b sdk.Block) error {
		if b.Height == c.failAt {
			return errStreamBroke
		}
		return yield(b)
	})
}

// runFetch runs ix.fetch over 0..target and returns the heights sent to
// order, in order, and the error of the last item if it carried one.
func runFetch(t *testing.T, c *streamChain, target int64) ([]int64, error) {
	t.Helper()
	ix := &Index{chain: c, opts: Options{FetchBlocks: 4, PrefetchBytes: 1 << 20}}
	order := make(chan *blockWork, 8)
	work := make(chan *blockWork, 8)
	var times stageTimes
	go func() {
		defer close(order)
		defer close(work)
		ix.fetch(context.Background(), 0, target, newByteBudget(1<<20), order, work, &times)
	}()
	go func() {
		for range work {
		}
	}()
	var got []int64
	var err error
	for w := range order {
		if w.err != nil {
			err = w.err
			continue
		}
		got = append(got, w.raw.Height)
	}
	return got, err
}

// TestFetchStreamsInOrder: the fetcher keeps two streams open on
// consecutive ranges (the first two ranges' streams wait for each other)
// and still sends every block once, in chain order.
func TestFetchStreamsInOrder(t *testing.T) {
	blocks := genSyncChain(30, 2, 5, 1)
	c := &streamChain{fakeChain: &fakeChain{}, both: make(chan struct{}), failAt: -1}
	c.set(blocks)
	got, err := runFetch(t, c, int64(len(blocks)-1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(blocks) {
		t.Fatalf("got %d blocks, want %d", len(got), len(blocks))
	}
	for i, h := range got {
		if h != int64(i) {
			t.Fatalf("block %d sent at position %d", h, i)
		}
	}
	if c.peak != fetchStreams {
		t.Errorf("%d streams open at most, want %d", c.peak, fetchStreams)
	}
}

// TestFetchStreamError: a stream that breaks in the middle of a later
// range ends the fetch with its error after exactly the blocks before it,
// in order, although that range's stream ran beside the one before it.
func TestFetchStreamError(t *testing.T) {
	blocks := genSyncChain(30, 2, 5, 2)
	c := &streamChain{fakeChain: &fakeChain{}, failAt: 10}
	c.set(blocks)
	got, err := runFetch(t, c, int64(len(blocks)-1))
	if !errors.Is(err, errStreamBroke) {
		t.Fatalf("err = %v, want the stream's error", err)
	}
	if len(got) != 10 {
		t.Fatalf("got %d blocks before the error, want 10", len(got))
	}
	for i, h := range got {
		if h != int64(i) {
			t.Fatalf("block %d sent at position %d", h, i)
		}
	}
}
