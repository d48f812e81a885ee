package session

import (
	"testing"
	"testing/synctest"
)

// TestWorkersReuse: jobs started one after another, each once the
// previous one has returned, run on one goroutine; a job that
// never ends keeps its goroutine and the next job gets another.
func TestWorkersReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		quiet := make(chan struct{})
		defer close(quiet) // after the jobs: the idle goroutines end
		w := newWorkers(newGoPool(func() <-chan struct{} { return quiet }))
		defer close(w.jobs)
		slot := make(chan struct{}, 1)
		for range 100 {
			slot <- struct{}{} // taken; the job gives it back as its last step but one
			w.start(jobFunc(func() { <-slot }))
			// The job gives the slot back before it returns, and a
			// goroutine counts as free only once its job has returned:
			// wait for that, or start may see it still busy.
			synctest.Wait()
		}
		synctest.Wait()
		if w.n != 1 {
			t.Errorf("%d goroutines for 100 sequential jobs, want 1", w.n)
		}
		stuck := make(chan struct{})
		defer close(stuck)
		w.start(jobFunc(func() { <-stuck }))
		ran := make(chan struct{})
		w.start(jobFunc(func() { close(ran) }))
		synctest.Wait()
		select {
		case <-ran:
		default:
			t.Fatal("a job waited behind a stuck one")
		}
		if w.n != 2 {
			t.Errorf("%d goroutines, want 2 (one stuck)", w.n)
		}
	})
}

// jobFunc is a func as a job.
type jobFunc func()

func (f jobFunc) run() { f() }
