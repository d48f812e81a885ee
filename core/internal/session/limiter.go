package session

import (
	"context"
	"errors"
	"sync"
)

// errExcessive is returned by limiter.acquire when the concurrency target
// is 0: the session is over its hard cost limit.
var errExcessive = errors.New("session: excessive resource usage")

// limiter is a semaphore whose size follows the session's concurrency
// target. Shrinking is gradual (permits in use are never revoked; new
// permits are handed out only once the in-use count is below the target);
// growing wakes the waiters at once.
type limiter struct {
	mu     sync.Mutex
	target int
	inUse  int
	wake   chan struct{} // closed and replaced to wake every waiter
	// waiting counts the waiters on wake: a release with none makes no
	// new channel (one allocation per request otherwise).
	waiting int
}

func newLimiter(target int) *limiter {
	return &limiter{target: target, wake: make(chan struct{})}
}

// acquire takes a permit, waiting while the session is at its target. It
// fails with errExcessive when the target is 0 and with ctx's error when
// ctx ends first.
func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.target <= 0 {
			l.mu.Unlock()
			return errExcessive
		}
		if l.inUse < l.target {
			l.inUse++
			l.mu.Unlock()
			return nil
		}
		w := l.wake
		l.waiting++
		l.mu.Unlock()
		var err error
		select {
		case <-w:
		case <-ctx.Done():
			err = ctx.Err()
		}
		l.mu.Lock()
		if l.wake == w { // not woken: still counted on this channel
			l.waiting--
		}
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.inUse--
	if l.inUse < l.target {
		l.broadcastLocked()
	}
	l.mu.Unlock()
}

// setTarget changes the size; waiters re-check (and fail at 0).
func (l *limiter) setTarget(n int) {
	l.mu.Lock()
	if n != l.target {
		l.target = n
		l.broadcastLocked()
	}
	l.mu.Unlock()
}

func (l *limiter) state() (target, inUse int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target, l.inUse
}

func (l *limiter) broadcastLocked() {
	if l.waiting == 0 {
		return
	}
	close(l.wake)
	l.wake = make(chan struct{})
	l.waiting = 0
}
