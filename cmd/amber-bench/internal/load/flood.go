package load

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/mix"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
)

// FloodOptions configures Flood.
type FloodOptions struct {
	Addr       string
	ScriptHash string // the script hash whose history is requested
	// Depth is how many requests are kept in flight (pipelining); default 16.
	Depth int
	// Duration and Requests bound the flood (at least one must be set).
	Duration time.Duration
	Requests int64
	Timeout  time.Duration // per request; default 30s
	// JumpFactor: throttling is reported when the median latency of a
	// window of answers exceeds JumpFactor × the median of the first
	// window; default 3.
	JumpFactor float64
	Status     *Status
}

// Event is a moment of the flood.
type Event struct {
	Request int64         `json:"request"` // answers received before it (errors included)
	After   time.Duration `json:"after_ns"`
	Latency time.Duration `json:"latency_ns,omitempty"`
}

// FloodResult is what the flooder saw.
type FloodResult struct {
	ScriptHash string           `json:"scripthash"`
	Depth      int              `json:"depth"`
	Elapsed    time.Duration    `json:"elapsed_ns"`
	Sent       int64            `json:"sent"`
	Answered   int64            `json:"answered"` // successful answers
	Errors     map[string]int64 `json:"errors"`
	Latency    latency.Summary  `json:"latency"`
	// FirstWindow is the median latency of the first answers; Throttled
	// the first window whose median exceeded JumpFactor × FirstWindow (nil:
	// never).
	FirstWindow time.Duration `json:"first_window_p50_ns"`
	Throttled   *Event        `json:"throttled,omitempty"`
	// Excessive is the first -101 "excessive resource usage" error;
	// Disconnected when the server closed the connection.
	Excessive    *Event   `json:"excessive,omitempty"`
	Disconnected *Event   `json:"disconnected,omitempty"`
	PerSecond    []Second `json:"per_second"`
}

// Second is one second of the flood.
type Second struct {
	Answered int64         `json:"answered"`
	P50      time.Duration `json:"p50_ns"`
}

type sample struct {
	at  time.Duration // completion, since start
	lat time.Duration
	err string
}

// window is the number of answers a latency median is taken over.
const window = 20

// Flood sends get_history for one script hash on one connection, keeping
// Depth requests in flight, until the bound, ctx, or the server drops it.
// It does not reconnect.
func Flood(ctx context.Context, o FloodOptions) (*FloodResult, error) {
	if o.Duration <= 0 && o.Requests <= 0 {
		return nil, errors.New("flood: set a duration or a request count")
	}
	o.Depth = max(o.Depth, 1)
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.JumpFactor <= 0 {
		o.JumpFactor = 3
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	c, err := rpcclient.Dial(ctx, o.Addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// server.version first: the server refuses anything before it.
	if _, err := c.Call(ctx, mix.Version, "amber-bench-flood", "1.4"); err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		samples []sample
		sent    atomic.Int64
		closed  atomic.Bool
	)
	start := time.Now()
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				n := len(samples)
				mu.Unlock()
				o.Status.Printf("flooder: %.0fs sent %d answered %d", time.Since(start).Seconds(), sent.Load(), n)
			}
		}
	}()
	var wg sync.WaitGroup
	for range o.Depth {
		wg.Go(func() {
			for ctx.Err() == nil && !closed.Load() {
				if n := sent.Add(1); o.Requests > 0 && n > o.Requests {
					sent.Add(-1)
					return
				}
				rctx, cancel := context.WithTimeout(ctx, o.Timeout)
				t0 := time.Now()
				_, err := c.Call(rctx, mix.History, o.ScriptHash)
				s := sample{at: time.Since(start), lat: time.Since(t0)}
				cancel()
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					s.err = ErrorKind(err)
				}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
				if s.err == "closed" {
					closed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	o.Status.Done()
	r := analyse(samples, o.JumpFactor)
	r.ScriptHash, r.Depth, r.Elapsed = o.ScriptHash, o.Depth, time.Since(start)
	r.Sent = sent.Load()
	return r, nil
}

// analyse derives the flood's figures from its samples.
func analyse(samples []sample, jump float64) *FloodResult {
	slices.SortStableFunc(samples, func(a, b sample) int { return int(a.at - b.at) })
	r := &FloodResult{Errors: map[string]int64{}}
	var lat latency.Recorder
	var ok []sample
	var sec latency.Recorder
	cur := time.Duration(0)
	flush := func() {
		r.PerSecond = append(r.PerSecond, Second{Answered: sec.Count(), P50: sec.Percentile(50)})
		sec = latency.Recorder{}
	}
	for i, s := range samples {
		for s.at >= cur+time.Second {
			flush()
			cur += time.Second
		}
		ev := &Event{Request: int64(i), After: s.at, Latency: s.lat}
		switch s.err {
		case "":
			r.Answered++
			lat.Record(s.lat)
			sec.Record(s.lat)
			ok = append(ok, s)
		case "closed":
			if r.Disconnected == nil {
				r.Disconnected = ev
			}
			r.Errors[s.err]++
		default:
			if s.err == "-101" && r.Excessive == nil {
				r.Excessive = ev
			}
			r.Errors[s.err]++
		}
	}
	if len(samples) > 0 {
		flush()
	}
	r.Latency = lat.Summary()
	if len(ok) >= 2*window {
		r.FirstWindow = median(ok[:window])
		for i := window; i+window <= len(ok); i++ {
			if m := median(ok[i : i+window]); float64(m) > jump*float64(r.FirstWindow) {
				s := ok[i+window-1]
				r.Throttled = &Event{Request: requestIndex(samples, s), After: s.at, Latency: m}
				break
			}
		}
	}
	return r
}

func median(s []sample) time.Duration {
	l := make([]time.Duration, len(s))
	for i, x := range s {
		l[i] = x.lat
	}
	slices.Sort(l)
	return l[len(l)/2]
}

func requestIndex(all []sample, s sample) int64 {
	for i, x := range all {
		if x == s {
			return int64(i)
		}
	}
	return -1
}
