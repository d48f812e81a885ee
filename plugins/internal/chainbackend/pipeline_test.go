package chainbackend

import (
	"encoding/json"
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
