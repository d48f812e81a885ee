package session

import (
	"bytes"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"
)

// FuzzBatchReader feeds arbitrary messages (batches among them) through a
// session with small limits and checks the reader path's promises: the
// session ends after the client's EOF (nothing hangs), every reply is
// valid JSON, and every byte held in the
// server-wide budget is given back.
func FuzzBatchReader(f *testing.F) {
	f.Add([]byte(`[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","id":2,"method":"stuck"}]` + "\n" +
		`{"jsonrpc":"2.0","id":3,"method":"version"}` + "\n" + `{"jsonrpc":"2.0","id":4,"method":"proto"}`))
	f.Add([]byte(`[` + "\n" + `[]` + "\n" + `[1,2,3]` + "\n" + `{"id":1}`))
	f.Add([]byte(batchOf(7, "hang") + "\n" + batchOf(3, "echo")))
	f.Fuzz(func(t *testing.T, input []byte) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			m := NewManagerWith(nil, Options{SendBudget: 1 << 20})
			c := newFakeConn()
			c.in = make(chan []byte, 1024)
			for _, line := range bytes.Split(input, []byte{'\n'}) {
				if len(line) > 0 && len(c.in) < cap(c.in) {
					c.in <- line
				}
			}
			close(c.in) // EOF after the input
			p := Profile{MaxBatch: 5, Concurrency: 2, BatchesInFlight: 1, RequestTimeout: time.Second, SerialUntilProtocol: true}
			done := make(chan struct{})
			go func() { m.Serve(t.Context(), c, blockers(release), p); close(done) }()
			var out [][]byte
			for finished := false; !finished; {
				select {
				case msg := <-c.out:
					out = append(out, msg)
				case <-done:
					finished = true
				}
			}
			for len(c.out) > 0 {
				out = append(out, <-c.out)
			}
			for _, msg := range out {
				if !json.Valid(msg) {
					t.Fatalf("invalid reply %q", msg)
				}
			}
			// A request cancelled by the EOF releases what it held from
			// its own goroutine, possibly after Serve returned: let every
			// goroutine of the bubble finish or block first.
			synctest.Wait()
			if used := m.budget.used.Load(); used != 0 {
				t.Fatalf("%d bytes still held in the budget after the session", used)
			}
		})
	})
}
