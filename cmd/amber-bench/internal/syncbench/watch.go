package syncbench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
)

// Target is the indexer Watch follows (*amberproc.Proc has it).
type Target interface {
	Info(ctx context.Context) (amberproc.Info, error)
	PID() int
	Started() time.Time
}

// WatchOptions configures Watch. Target and Tip are required.
type WatchOptions struct {
	Target Target
	Tip    int64         // the daemon's tip: caught up means this height indexed
	Poll   time.Duration // getinfo interval (default 100 ms)
	// Mem reads a process's memory (default procstat.Read).
	Mem func(pid int) (procstat.Mem, error)
	// OnSample, if set, is called after each successful getinfo.
	OnSample func(s Sample, info amberproc.Info)
	// OnFirst, if set, is called once, when the first indexed block is seen.
	OnFirst func()
}

// Sample is one poll of the indexer: seconds since its process started,
// its indexed height, its RSS and its chain plugin's (0 if unknown).
type Sample struct {
	TSec      float64 `json:"t_s"`
	Height    int64   `json:"height"`
	RSS       int64   `json:"rss_bytes"`
	PluginRSS int64   `json:"plugin_rss_bytes"`
}

// Watched is what Watch saw, all times from the process start.
type Watched struct {
	// CaughtUp is when getinfo first reported Tip indexed, the daemon at
	// the same height and the index synced; it overstates the true moment
	// by up to one Poll.
	CaughtUp time.Duration
	// FirstSeen is when the first indexed block (height >= 0) was seen, at
	// FirstHeight (up to one Poll late: FirstHeight may be well above 0).
	FirstSeen   time.Duration
	FirstHeight int64
	Height      int64 // last height seen
	PluginPID   int
	Series      []Sample
	Polls, Errs int // getinfo calls, failed ones (before the admin RPC listens, mostly)
	LastErr     error
}

// IndexElapsed is the time from the first indexed block seen to caught up.
func (w *Watched) IndexElapsed() time.Duration { return w.CaughtUp - w.FirstSeen }

// ErrHalted is returned when the index reports it halted.
var ErrHalted = errors.New("syncbench: the index halted")

// Watch polls the target until it has indexed Tip and is synced, sampling
// its RSS (and its chain plugin's, found through getinfo) at every poll.
// It stops on ctx (the returned Watched then holds what was seen so far),
// a halted index, or a target that can no longer answer after it did.
func Watch(ctx context.Context, o WatchOptions) (*Watched, error) {
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Mem == nil {
		o.Mem = procstat.Read
	}
	w := &Watched{FirstHeight: -1, Height: -1}
	start := o.Target.Started()
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		w.Polls++
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		info, err := o.Target.Info(cctx)
		cancel()
		now := time.Since(start)
		switch {
		case err != nil && ctx.Err() != nil:
			return w, ctx.Err()
		case err != nil:
			w.Errs++
			w.LastErr = err
			if errors.Is(err, amberproc.ErrExited) {
				return w, err
			}
		default:
			if info.Halted {
				return w, fmt.Errorf("%w: %s", ErrHalted, info.Error)
			}
			s := Sample{TSec: now.Seconds(), Height: info.DBHeight}
			if m, err := o.Mem(o.Target.PID()); err == nil {
				s.RSS = m.RSS
			}
			if pid := info.ChainPlugin(); pid > 0 {
				w.PluginPID = pid
				if m, err := o.Mem(pid); err == nil {
					s.PluginRSS = m.RSS
				}
			}
			w.Series = append(w.Series, s)
			w.Height = info.DBHeight
			if info.DBHeight >= 0 && w.FirstHeight < 0 {
				w.FirstSeen, w.FirstHeight = now, info.DBHeight
				if o.OnFirst != nil {
					o.OnFirst()
				}
			}
			if o.OnSample != nil {
				o.OnSample(s, info)
			}
			if info.Synced && info.DBHeight >= o.Tip && info.DBHeight == info.DaemonHeight {
				w.CaughtUp = now
				return w, nil
			}
		}
		select {
		case <-ctx.Done():
			return w, ctx.Err()
		case <-tick.C:
		}
	}
}
