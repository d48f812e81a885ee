package session

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiterShrinksGraduallyAndGrowsAtOnce(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel() // a done context: acquire fails instead of waiting
	l := newLimiter(4)
	for i := 0; i < 4; i++ {
		if err := l.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.acquire(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("fifth acquire at 4/4: %v", err)
	}
	l.setTarget(2) // 4 in use, none revoked
	if tg, in := l.state(); tg != 2 || in != 4 {
		t.Fatalf("state = %d/%d", tg, in)
	}
	l.release() // 3 in use: still above 2, the permit is swallowed
	l.release() // 2 in use: at the target
	if err := l.acquire(done); err == nil {
		t.Fatal("acquire succeeded with 2 in use at target 2")
	}
	l.release() // 1 in use < 2: one permit available
	if err := l.acquire(done); err != nil {
		t.Fatalf("acquire at 1/2: %v", err)
	}
	// A waiter blocked at 2/2 is released as soon as the target grows.
	got := make(chan error, 1)
	go func() { got <- l.acquire(context.Background()) }()
	l.setTarget(3)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken by growth")
	}
	// Target 0: waiters and new requests fail with errExcessive.
	go func() { got <- l.acquire(context.Background()) }()
	l.setTarget(0)
	select {
	case err := <-got:
		if !errors.Is(err, errExcessive) {
			t.Fatalf("waiter at target 0: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken at target 0")
	}
	if err := l.acquire(context.Background()); !errors.Is(err, errExcessive) {
		t.Fatalf("acquire at target 0: %v", err)
	}
}
