package session

import (
	"net"
	"sync"
)

// sendQueue holds a session's outgoing messages in order. It is bounded by
// a message count, like the buffered channel it replaces, but takes memory
// only while a backlog exists: an idle session holds a nil (or tiny) ring
// instead of a 4096-slot channel buffer (96 KiB). It also tells the
// session when a writer goroutine is due, so an idle session runs none:
// push and close report start=true exactly when no writer is running, and
// the writer keeps the role until next reports qIdle or qDrained.
type sendQueue struct {
	mu      sync.Mutex
	ring    [][]byte
	head    int
	n       int
	limit   int
	closed  bool
	writing bool // a writer owns the queue
}

// States next reports to the writer.
const (
	qMsg     = iota // a message to write
	qIdle           // empty and open: the writer exits (push starts another)
	qDrained        // empty and closed: the writer finishes the session
)

// keptSlots is the largest ring kept once a backlog has drained.
const keptSlots = 8

// push appends msg. It fails with net.ErrClosed after close and with
// ErrSendQueueFull when limit messages are already queued (the one being
// written does not count). start reports that the caller must run a writer.
func (q *sendQueue) push(msg []byte) (start bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, net.ErrClosed
	}
	if q.n >= q.limit {
		return false, ErrSendQueueFull
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = msg
	q.n++
	if !q.writing {
		q.writing = true
		return true, nil
	}
	return false, nil
}

func (q *sendQueue) grow() {
	size := min(max(4, 2*len(q.ring)), q.limit)
	ring := make([][]byte, size)
	for i := range q.n {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// close refuses further pushes; queued messages stay for the writer. It
// reports whether the caller must run a writer (none is running, and the
// queue was open).
func (q *sendQueue) close() (start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.closed = true
	if !q.writing {
		q.writing = true
		return true
	}
	return false
}

// next is the writer's step: the next message (qMsg), or qIdle (the
// writer role is given up) or qDrained (closed and empty: the writer
// keeps the role for good and finishes the session).
func (q *sendQueue) next() ([]byte, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		if len(q.ring) > keptSlots {
			q.ring, q.head = nil, 0 // a past backlog's ring is not pinned
		}
		if q.closed {
			return nil, qDrained
		}
		q.writing = false
		return nil, qIdle
	}
	msg := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	return msg, qMsg
}

// discard drops every queued message (after a failed write) and returns
// how many there were.
func (q *sendQueue) discard() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.n
	q.ring, q.head, q.n = nil, 0, 0
	return n
}

// len returns the number of queued messages.
func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
