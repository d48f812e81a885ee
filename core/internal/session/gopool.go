package session

import "time"

// goPoolIdle is how long a pooled goroutine waits for more work before it
// ends (sooner when the last session ends).
const goPoolIdle = 5 * time.Second

// goPool runs functions on goroutines that wait a while for the next
// function after theirs returns. A session's request workers and writers
// run on it: a new goroutine starts on a small stack and grows it,
// copying it each time, through the handler's and the store's call chain,
// which under the pipeversion attack (a new session for two requests,
// thousands a second) was about 8 % of amberd's CPU; a pooled goroutine
// keeps the stack it grew. A function is handed over only to a goroutine
// already waiting; otherwise a new one starts, so Go never waits and the
// pool holds at most the most goroutines ever busy at once, each for
// goPoolIdle after its last function, and none once the manager has no
// session left. One per Manager (so that a test's synctest bubble holds
// its own, and holds no goroutine once its sessions are gone).
type goPool struct {
	ready chan func()
	// quiet returns a channel that is closed while no session is live:
	// an idle goroutine that sees it closed ends.
	quiet func() <-chan struct{}
}

func newGoPool(quiet func() <-chan struct{}) *goPool {
	return &goPool{ready: make(chan func()), quiet: quiet}
}

// Go runs f on a waiting pooled goroutine, or on a new one.
func (p *goPool) Go(f func()) {
	select {
	case p.ready <- f:
	default:
		go p.run(f)
	}
}

func (p *goPool) run(f func()) {
	var t *time.Timer
	for {
		f()
		f = nil
		if t == nil {
			t = time.NewTimer(goPoolIdle)
		} else {
			t.Reset(goPoolIdle)
		}
		select {
		case f = <-p.ready:
		case <-t.C:
			return
		case <-p.quiet():
			t.Stop()
			return
		}
	}
}
