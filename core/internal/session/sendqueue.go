package session

import (
	"net"
	"sync"
)

// sendQueue holds a session's outgoing messages in order. It is bounded by
// a message count and, when maxBytes is set, by the bytes queued, and
// takes memory only while a backlog exists: an idle session holds a nil
// (or tiny) ring. It also tells the session when a writer goroutine is
// due, so an idle session runs none: push and close report start=true
// exactly when no writer is running, and the writer keeps the role until
// next reports qIdle or qDrained.
type sendQueue struct {
	mu       sync.Mutex
	ring     []qItem
	head     int
	n        int
	limit    int // messages
	maxBytes int // bytes queued (0: no byte bound)
	bytes    int // bytes queued now
	closed   bool
	writing  bool // a writer owns the queue
}

// qItem is one queued message. done, if set, runs once the message has
// been written or dropped (it releases what the reply held: its
// concurrency slot and its share of the server-wide budget). at is when a
// notification was queued (unix nanos; 0 for replies).
type qItem struct {
	msg  []byte
	done func()
	at   int64
}

// States next reports to the writer.
const (
	qMsg     = iota // a message to write
	qIdle           // empty and open: the writer exits (push starts another)
	qDrained        // empty and closed: the writer finishes the session
)

// keptSlots is the largest ring kept once a backlog has drained.
const keptSlots = 8

// push appends msg; see pushItem.
func (q *sendQueue) push(msg []byte) (start bool, err error) {
	return q.pushItem(qItem{msg: msg})
}

// pushItem appends it. It fails with net.ErrClosed after close and with
// ErrSendQueueFull when limit messages are already queued (the one being
// written does not count) or when it would take the queued bytes over
// maxBytes (a message always fits an empty queue). On failure it.done is
// not called: the caller still owns it. start reports that the caller must
// run a writer.
func (q *sendQueue) pushItem(it qItem) (start bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, net.ErrClosed
	}
	if q.n >= q.limit || (q.maxBytes > 0 && q.n > 0 && q.bytes+len(it.msg) > q.maxBytes) {
		return false, ErrSendQueueFull
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = it
	q.n++
	q.bytes += len(it.msg)
	if !q.writing {
		q.writing = true
		return true, nil
	}
	return false, nil
}

func (q *sendQueue) grow() {
	size := min(max(4, 2*len(q.ring)), q.limit)
	ring := make([]qItem, size)
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

// next is the writer's step without the item's extras; see nextItem.
func (q *sendQueue) next() ([]byte, int) {
	it, st := q.nextItem()
	return it.msg, st
}

// nextItem is the writer's step: the next message (qMsg), or qIdle (the
// writer role is given up) or qDrained (closed and empty: the writer
// keeps the role for good and finishes the session).
func (q *sendQueue) nextItem() (qItem, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		if len(q.ring) > keptSlots {
			q.ring, q.head = nil, 0 // a past backlog's ring is not pinned
		}
		if q.closed {
			return qItem{}, qDrained
		}
		q.writing = false
		return qItem{}, qIdle
	}
	it := q.ring[q.head]
	q.ring[q.head] = qItem{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.bytes -= len(it.msg)
	return it, qMsg
}

// discard drops every queued message (after a failed write or an abort),
// runs their done functions and returns how many there were.
func (q *sendQueue) discard() int {
	q.mu.Lock()
	var dones []func()
	for i := range q.n {
		if d := q.ring[(q.head+i)%len(q.ring)].done; d != nil {
			dones = append(dones, d)
		}
	}
	n := q.n
	q.ring, q.head, q.n, q.bytes = nil, 0, 0, 0
	q.mu.Unlock()
	for _, d := range dones {
		d()
	}
	return n
}

// len returns the number of queued messages.
func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// size returns the number of queued bytes.
func (q *sendQueue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}
