package session

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// batchItemsRunning is how many batch items run at once server-wide:
// one per CPU. A batch's items also take the session's concurrency slots,
// but a few sessions with large batches would otherwise keep tens of
// handlers runnable at once, and a single request of any other session
// would queue behind all of them for the CPU; with this bound it queues
// behind at most one item per CPU (issue 11, the batches and abandon
// attacks). Items wait for their turn in arrival order, within their
// deadline.
func batchItemsRunning() int { return max(1, runtime.GOMAXPROCS(0)) }

// batchDecoding is how many readers decode a batch at once server-wide:
// one less than the CPUs, at least one. Decoding a 9,000-item batch is
// milliseconds of CPU on the reader's goroutine, which the Go scheduler
// preempts only after 10 ms and which has no priority below another
// session's single request: a runtime trace of amberd under the abandon
// attack showed the slowest polite requests runnable for 4–8 ms while
// attackers' readers decoding batches held both CPUs (docs/attacks.md).
// With this bound one CPU is always free of decoding. Decoding never
// blocks, so a turn is held for the decoding's CPU time only (unlike a
// batch item's turn, held while its handler waits on the store or the
// daemon).
func batchDecoding() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// decodeTurnBytes is the smallest batch that waits for a decoding turn:
// a smaller one decodes in well under a millisecond (a wallet's batch of
// a few hundred subscriptions is about 30 kB) and does not queue behind
// large ones.
const decodeTurnBytes = 64 << 10

// workers run a batch's items (or a session's single requests) on
// goroutines that take job after job, instead of a new goroutine per job,
// so that a request does not start on a fresh stack and grow it, copying
// it, through the store's call chain every time (14 % of amberd's CPU
// under the abandon and pipeversion attacks). A new goroutine starts only
// when every one there is has a job not yet done: a job is always taken
// by a goroutine that is free or about to be (one whose handler overruns
// its deadline keeps its goroutine, and the next job gets another).
// Before, a job was handed over only to a goroutine already waiting, and
// the one that had just released the slot the next job waited for was
// still finishing: most batch items started a new goroutine anyway. start
// is called from one goroutine; the workers end when jobs is closed.
type workers struct {
	pool    *goPool
	jobs    chan job
	pending atomic.Int64 // jobs started and not yet done
	n       int64        // goroutines started
}

// job is what a worker runs: a batch item or a single request (call.go).
type job interface{ run() }

func newWorkers(pool *goPool) *workers { return &workers{pool: pool, jobs: make(chan job)} }

func (w *workers) start(j job) {
	if w.pending.Add(1) > w.n {
		w.n++
		w.pool.Go(func() {
			for j := range w.jobs {
				j.run()
				w.pending.Add(-1)
			}
		})
	}
	w.jobs <- j
}

// itemChunk is how many batch items' states are allocated at a time.
const itemChunk = 64

// BatchItemCost is the client services' Profile.BatchItemCost: the cost of
// server.ping, the cheapest method. A batch's items are charged it as
// soon as the batch is decoded, and each item gets it back when it is
// answered (the method then has charged its own cost). A client that waits
// for its answers ends up charged as before; one that sends large batches
// and leaves keeps the charge for every item it left behind, in its
// session's cost and so in its groups when the session closes, and
// while its batches are in flight its items are throttled as they would be
// if they had run: two 9,000-item batches are 1,800 up front, over the
// soft limit. A wallet's batch of a few hundred items is charged a few
// tens for as long as it runs, far from throttling (issue 11, the abandon
// attack).
const BatchItemCost = 0.1

// batchTooLarge is the answer to a batch of more than Profile.MaxBatch
// requests (issue 11.2): one error, id null, charged as an error; the
// session stays open.
func batchTooLarge(n, max int) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.InvalidRequest, "batch of %d requests is over the limit of %d", n, max)
}

// batchTurn is a batch's admission, taken by the reader before it
// decodes the message: its deadline (from arrival) and, unless the
// deadline passed first, one of the session's batch places.
type batchTurn struct {
	ctx    context.Context
	cancel context.CancelFunc
	placed bool
	size   int
}

// isBatch reports whether msg is a JSON array (a batch, or an invalid one).
func isBatch(msg []byte) bool {
	for _, c := range msg {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '['
	}
	return false
}

// batchPlace waits, before the batch is decoded, for one of the session's
// batch places (Profile.BatchesInFlight) within the batch's deadline: a
// session that pipelines batches has at most that many decoded at once,
// and one that leaves while it waits costs no decoding.
func (s *Session) batchPlace(size int) *batchTurn {
	s.hold(size)
	ctx, cancel := s.requestContext()
	t := &batchTurn{ctx: ctx, cancel: cancel, size: size}
	select {
	case s.batches <- struct{}{}:
		t.placed = true
	case <-ctx.Done():
	}
	return t
}

// takeLane waits within ctx for a server-wide turn at decoding a batch
// of size bytes (batchDecoding, Manager.decodes; none below
// decodeTurnBytes). It reports whether it got one; a batch whose
// deadline passed while it waited is decoded without (its items are then
// answered -102 at once).
func (s *Session) takeLane(ctx context.Context, size int) bool {
	if size < decodeTurnBytes {
		return false
	}
	select {
	case s.mgr.decodes <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// giveLane gives back a turn takeLane got.
func (s *Session) giveLane(got bool) {
	if got {
		<-s.mgr.decodes
	}
}

// dropTurn gives back a turn whose batch does not run.
func (s *Session) dropTurn(t *batchTurn) {
	s.endBatch(t.placed, t.size)
	t.cancel()
}

// startBatch runs a batch admitted by t with back-pressure on the reader:
// the concurrency slot of the batch's first item is taken before the next
// message is read, within the batch's deadline. It reports false when the
// reader must stop.
func (s *Session) startBatch(reqs []*jsonrpc.Request, serial bool, t *batchTurn) bool {
	if max := s.prof.MaxBatch; max > 0 && len(reqs) > max {
		s.dropTurn(t)
		e := batchTooLarge(len(reqs), max)
		s.chargeError(e)
		s.observe("", e.Code, 0)
		s.reply(jsonrpc.EncodeError(s.Dialect(), nil, e))
		return true
	}
	ctx, cancel, placed, size := t.ctx, t.cancel, t.placed, t.size
	if c := s.prof.BatchItemCost; c > 0 {
		s.AddCost(c * float64(len(reqs))) // before the first slot: throttling sees it
	}
	var firstErr error
	if placed {
		firstErr = s.acquire(ctx)
	} else {
		firstErr = ctx.Err()
	}
	if errors.Is(firstErr, errExcessive) && size >= decodeTurnBytes {
		// Its own up-front charge took the session to its hard limit:
		// one -101 for the whole batch (see atHardLimit).
		s.dropTurn(t)
		s.refuseBatch()
		return false
	}
	if s.ctx.Err() != nil {
		if firstErr == nil {
			s.release()
		}
		s.dropTurn(t)
		return false
	}
	s.inflight.Add(1) // the batch itself, until its reply is written
	if serial {
		s.runBatch(ctx, cancel, reqs, size, firstErr, placed, true)
	} else {
		go s.runBatch(ctx, cancel, reqs, size, firstErr, placed, false)
	}
	return true
}

// endBatch gives back a batch's place and its share of the budget.
func (s *Session) endBatch(placed bool, size int) {
	if placed {
		<-s.batches
	}
	s.unhold(size)
}

// runBatch answers every item of a batch within ctx: an item that cannot
// get a slot before the deadline, or whose handler overruns it, is
// answered -102. Items run concurrently under the session's limit (one
// at a time when serial). firstErr is the outcome of the first item's
// slot wait, done by the reader.
func (s *Session) runBatch(ctx context.Context, cancel context.CancelFunc, reqs []*jsonrpc.Request, size int, firstErr error, placed, serial bool) {
	defer cancel()
	out := &batchBytes{items: make([][]byte, len(reqs))}
	b := &batchRun{ctx: ctx, out: out}
	defer context.AfterFunc(ctx, b.expire)() // one deadline watch for all items
	// The items' state comes in chunks as items start (instead of
	// closures per item), not for the whole batch up front: a batch whose
	// client leaves, or that is throttled, starts few of its items.
	var chunk []batchItem
	work := newWorkers(s.mgr.pool)
	defer close(work.jobs)
	refused := false
	for i, r := range reqs {
		if refused {
			s.storeItem(out, i, r, s.refuse(r))
			continue
		}
		err := firstErr
		if i > 0 {
			err = s.acquire(ctx)
		}
		if err != nil {
			switch {
			case errors.Is(err, errExcessive):
				refused = true
				s.storeItem(out, i, r, s.refuse(r))
			case s.ctx.Err() != nil:
				b.wg.Wait()
				s.endBatch(placed, size)
				s.inflight.Done()
				return
			default:
				s.storeItem(out, i, r, s.timeoutReply(r))
			}
			continue
		}
		// Each item runs on one of the batch's workers once it has its
		// turn: one whose handler overruns the deadline is answered -102
		// (serve) while the rest go on; serial waits for each item's
		// answer.
		b.wg.Add(1)
		if len(chunk) == 0 {
			chunk = make([]batchItem, min(itemChunk, len(reqs)-i))
		}
		it := &chunk[0]
		chunk = chunk[1:]
		*it = batchItem{call: call{s: s, r: r, batch: b}, b: b, i: i}
		it.fin = it
		if serial {
			it.answered = make(chan struct{})
		}
		work.start(it)
		if serial {
			<-it.answered
		}
	}
	b.wg.Wait()
	items := out.items[:0]
	for _, b := range out.items {
		if b != nil {
			items = append(items, b)
		}
	}
	done := func() { s.endBatch(placed, size); s.inflight.Done() }
	if len(items) > 0 {
		s.replyHeld(jsonrpc.EncodeBatch(items), done)
	} else {
		s.replyHeld(nil, done) // honours a close asked by a notification
	}
	if refused {
		s.drop()
	}
}
