package syncbench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
)

// script is a fake Target answering getinfo from a list (the last answer
// repeats).
type script struct {
	start time.Time
	steps []step
	n     int
}

type step struct {
	info amberproc.Info
	err  error
}

func (s *script) PID() int           { return 10 }
func (s *script) Started() time.Time { return s.start }
func (s *script) Info(context.Context) (amberproc.Info, error) {
	st := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	return st.info, st.err
}

func info(db, daemon int64, synced bool) step {
	return step{info: amberproc.Info{DBHeight: db, DaemonHeight: daemon, Synced: synced,
		Plugins: []amberproc.PluginInfo{{Name: "bitcoind", PID: 11}}}}
}

func fakeMem(pid int) (procstat.Mem, error) {
	switch pid {
	case 10:
		return procstat.Mem{RSS: 100 << 20}, nil
	case 11:
		return procstat.Mem{RSS: 20 << 20}, nil
	}
	return procstat.Mem{}, fmt.Errorf("no pid %d", pid)
}

func TestWatch(t *testing.T) {
	dial := step{err: errors.New("connection refused")}
	for _, tc := range []struct {
		name              string
		steps             []step
		wantErr           error
		first, height     int64
		samples, errs     int
		caughtUp, onFirst bool
	}{
		{"caught up", []step{dial, dial, info(-1, 0, false), info(99, 300, false), info(300, 300, false), info(300, 300, true)},
			nil, 99, 300, 4, 2, true, true},
		{"daemon moved on", []step{info(300, 300, false), info(300, 301, true), info(301, 301, true)},
			nil, 300, 301, 3, 0, true, true},
		{"halted", []step{info(5, 300, false), {info: amberproc.Info{DBHeight: 5, Halted: true, Error: "deep reorg"}}},
			ErrHalted, 5, 5, 1, 0, false, true},
		{"exited", []step{dial, {err: fmt.Errorf("%w (exit status 1)", amberproc.ErrExited)}},
			amberproc.ErrExited, -1, -1, 0, 2, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgt := &script{start: time.Now(), steps: tc.steps}
			var firsts, samples int
			w, err := Watch(context.Background(), WatchOptions{Target: tgt, Tip: 300, Poll: time.Millisecond, Mem: fakeMem,
				OnFirst: func() { firsts++ }, OnSample: func(Sample, amberproc.Info) { samples++ }})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if w.FirstHeight != tc.first || w.Height != tc.height || len(w.Series) != tc.samples || w.Errs != tc.errs {
				t.Fatalf("%+v", w)
			}
			if (w.CaughtUp > 0) != tc.caughtUp || (firsts == 1) != tc.onFirst || firsts > 1 || samples != tc.samples {
				t.Fatalf("caught up %v, OnFirst %d times, OnSample %d times", w.CaughtUp, firsts, samples)
			}
			if tc.caughtUp && (w.FirstSeen > w.CaughtUp || w.IndexElapsed() < 0) {
				t.Fatalf("first seen %v, caught up %v", w.FirstSeen, w.CaughtUp)
			}
			for _, s := range w.Series {
				if s.RSS != 100<<20 || s.PluginRSS != 20<<20 {
					t.Fatalf("sample %+v", s)
				}
			}
			if len(w.Series) > 0 && w.PluginPID != 11 {
				t.Fatalf("plugin pid %d", w.PluginPID)
			}
		})
	}
}

// Watch returns what it saw when ctx ends.
func TestWatchCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	tgt := &script{start: time.Now(), steps: []step{info(3, 300, false)}}
	w, err := Watch(ctx, WatchOptions{Target: tgt, Tip: 300, Poll: time.Millisecond, Mem: fakeMem})
	if !errors.Is(err, context.DeadlineExceeded) || w.Height != 3 || len(w.Series) == 0 {
		t.Fatalf("%v, %+v", err, w)
	}
}
