package store

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// gatedScheduler is the pebble CompactionScheduler of a pebbleStore. It
// grants compactions up to the concurrency pebble asks for (as pebble's
// default scheduler does), but none before release. pebble's Open waits
// for every compaction running before it returns (scanObsoleteFiles);
// after an initial sync the backlog is large, and a compaction started
// inside Open made amberd's start-up wait for it. With the gate, Open
// returns at once and the backlog is worked off in the background.
type gatedScheduler struct {
	released atomic.Bool
	db       pebble.DBForCompaction

	mu      sync.Mutex
	running int
	closed  bool

	poke     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	// period is how often waiting compactions are looked for besides
	// the pokes (Done, a higher allowed concurrency, release).
	period time.Duration
}

func newGatedScheduler() *gatedScheduler {
	return &gatedScheduler{poke: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		period: 100 * time.Millisecond}
}

var _ pebble.CompactionScheduler = (*gatedScheduler)(nil)

// Register implements pebble.CompactionScheduler.
func (s *gatedScheduler) Register(_ int, db pebble.DBForCompaction) {
	s.db = db
	go s.loop()
}

// Unregister implements pebble.CompactionScheduler: after it returns the
// scheduler calls nothing on the DB.
func (s *gatedScheduler) Unregister() {
	s.stopOnce.Do(func() {
		close(s.stop)
		if s.db != nil {
			<-s.done
		}
	})
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// release lets compactions run.
func (s *gatedScheduler) release() {
	s.released.Store(true)
	s.wake()
}

// TrySchedule implements pebble.CompactionScheduler. pebble calls it with
// its own mutex held: it only reads the allowed concurrency (atomics).
func (s *gatedScheduler) TrySchedule() (bool, pebble.CompactionGrantHandle) {
	if !s.released.Load() {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.db.GetAllowedWithoutPermission() <= s.running {
		return false, nil
	}
	s.running++
	return true, s
}

// UpdateGetAllowedWithoutPermission implements pebble.CompactionScheduler.
func (s *gatedScheduler) UpdateGetAllowedWithoutPermission() { s.wake() }

// Started, MeasureCPU, CumulativeStats and Done implement
// pebble.CompactionGrantHandle.
func (s *gatedScheduler) Started()                                          {}
func (s *gatedScheduler) MeasureCPU(pebble.CompactionGoroutineKind)         {}
func (s *gatedScheduler) CumulativeStats(pebble.CompactionGrantHandleStats) {}
func (s *gatedScheduler) Done() {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
	s.wake()
}

func (s *gatedScheduler) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// loop grants waiting compactions when poked and every period. Only this
// goroutine calls the DB's locking methods, never under s.mu.
func (s *gatedScheduler) loop() {
	defer close(s.done)
	t := time.NewTicker(s.period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.poke:
		}
		s.grant()
	}
}

func (s *gatedScheduler) grant() {
	if !s.released.Load() {
		return
	}
	for {
		s.mu.Lock()
		if s.closed || s.db.GetAllowedWithoutPermission() <= s.running {
			s.mu.Unlock()
			return
		}
		s.running++ // reserved for the compaction Schedule may start
		s.mu.Unlock()
		if waiting, _ := s.db.GetWaitingCompaction(); !waiting || !s.db.Schedule(s) {
			s.mu.Lock()
			s.running--
			s.mu.Unlock()
			return
		}
	}
}
