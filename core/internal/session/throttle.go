package session

import (
	"context"
	"net"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// bigSender is the sent-bytes count from which the close is logged.
const bigSender = 1_000_000

// targetChanged follows the cost account's concurrency target.
func (s *Session) targetChanged(old, new int) {
	s.lim.setTarget(new)
	if d := new - old; d > 1 || d < -1 {
		s.log.Info("changing task concurrency", "session", s.id, "from", old, "to", new)
	}
}

// throttleSleep waits fraction × sleep_max before a request of a session
// over its soft limit; it fails with the timeout error when ctx ends
// first. Tests see the sleeps in a testing/synctest bubble's clock.
func (s *Session) throttleSleep(ctx context.Context) error {
	d := s.acct.Sleep()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return timedOut()
	}
}

func timedOut() *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.ServerBusy, "server busy - request timed out")
}

// excessiveError is the reply to a request of a session at its hard limit.
func excessiveError() *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.ExcessiveResourceUsage, "excessive resource usage")
}

// refuse answers r with -101 (unless it is a notification); the caller
// then drops the session.
func (s *Session) refuse(r *jsonrpc.Request) []byte {
	e := excessiveError()
	s.chargeError(e)
	if r.Notification {
		return nil
	}
	s.observe(r.Method, e.Code, 0)
	return jsonrpc.EncodeError(s.Dialect(), r.ID, e)
}

// atHardLimit reports whether a batch of size bytes, placed and not yet
// decoded, is to be refused whole because the session is at its hard
// cost limit (concurrency target 0, recalculated now so that what its
// groups gained since the last recalculation counts). Only batches that
// would wait for a decoding turn (decodeTurnBytes, 64 kB) are refused
// this way: decoding one and answering -101 item by item is milliseconds
// of CPU for an answer nobody may read, over and over when a client
// whose subnet group is over the hard limit reconnects with large
// batches (issue 11, the abandon attack). A wallet's batch is smaller
// and keeps ElectrumX's behaviour: -101 for each item, then the close.
func (s *Session) atHardLimit(size int) bool {
	if size < decodeTurnBytes || !s.acct.Limits().Throttles() {
		return false
	}
	s.acct.Recalc()
	return s.acct.Target() <= 0
}

// refuseBatch answers a large batch of a session at its hard limit with
// one -101 error (id null, as a batch over max_batch is answered) and
// closes the session after writing it.
func (s *Session) refuseBatch() {
	e := excessiveError()
	s.chargeError(e)
	s.observe("", e.Code, 0)
	_ = s.send(jsonrpc.EncodeError(s.Dialect(), nil, e))
	s.drop()
}

// drop closes a session that reached its hard cost limit.
func (s *Session) drop() {
	if s.dropped.Swap(true) {
		return
	}
	s.mgr.excessive.Add(1)
	s.log.Info("closing session over its hard cost limit", "session", s.id,
		"ip", addrString(s), "groups", s.Groups(), "cost", s.Cost())
	s.Close()
}

// addrString is the peer's IP (the address without its port).
func addrString(s *Session) string {
	a := s.RemoteAddr()
	if a == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// finish hands the session's cost to its groups and logs a notable close.
func (s *Session) finish() {
	throttled := s.acct.Throttled()
	s.acct.Close()
	sent := s.counters.SendBytes.Load()
	if !throttled && sent < bigSender {
		return
	}
	args := []any{"session", s.id}
	if throttled {
		args = append(args, "throttled", true)
	}
	if sent >= bigSender {
		args = append(args, "sent_bytes", sent, "sent_messages", s.counters.SendCount.Load())
	}
	s.log.Info("disconnected", args...)
}

func (s *Session) observe(method string, code int, dur time.Duration) {
	if f := s.prof.Observe; f != nil {
		f(method, code, dur)
	}
}
