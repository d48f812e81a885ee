package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/mix"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
)

// Options configures Run.
type Options struct {
	Label    string // for the status line and the result
	Addr     string // Electrum TCP host:port
	Sessions int    // concurrent sessions (default 1)
	// Duration and Requests bound the run (at least one must be set):
	// Requests is the total over all sessions.
	Duration time.Duration
	Requests int64
	// Pace is the gap between the starts of a session's requests (a
	// wallet's think time); 0 sends back to back.
	Pace time.Duration
	Mix  mix.Config
	// Check verifies answers against the targets (a real server on an
	// unchanged chain).
	Check   bool
	Seed    uint64
	Timeout time.Duration // per request; default 30s
	Status  *Status       // nil: no status line
}

// HistogramPerOctave is the resolution of the histograms in a Result: 16
// buckets per power of two, each at most 1/16 of its values wide (enough
// to draw a distribution; the percentiles are computed at full resolution).
const HistogramPerOctave = 16

// MethodResult is the figures of one method.
type MethodResult struct {
	Method string `json:"method"`
	latency.Summary
	Errors int64 `json:"errors"`
	// Histogram is the method's latency distribution (non-empty buckets).
	Histogram []latency.Bucket `json:"histogram,omitempty"`
}

// Result is what Run measured.
type Result struct {
	Label string `json:"label"`
	Addr  string `json:"addr"`
	// ChainHeight is the chain height of the wallet mix (Options.Mix).
	ChainHeight int64         `json:"chain_height,omitempty"`
	Sessions    int           `json:"sessions"`
	Pace        time.Duration `json:"pace_ns"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	// Requests counts answered requests (errors included); Rate is
	// Requests per second of Elapsed.
	Requests int64           `json:"requests"`
	Rate     float64         `json:"rate"`
	All      latency.Summary `json:"all"`
	// Histogram is the latency distribution of all requests (non-empty
	// buckets of All).
	Histogram []latency.Bucket `json:"histogram,omitempty"`
	Methods   []MethodResult   `json:"methods"`
	// Errors counts failures by kind: the JSON-RPC error code, "check"
	// (wrong answer), "closed" (connection lost), "timeout", "dial".
	Errors            map[string]int64 `json:"errors"`
	FirstCheckFailure string           `json:"first_check_failure,omitempty"`
	Reconnects        int64            `json:"reconnects"`
	Notifications     int64            `json:"notifications"`
}

// ErrorCount is the total of r.Errors.
func (r *Result) ErrorCount() int64 {
	var n int64
	for _, c := range r.Errors {
		n += c
	}
	return n
}

type stats struct {
	mu        sync.Mutex
	methods   map[string]*latency.Recorder
	methodErr map[string]int64
	errors    map[string]int64
	firstBad  string
	all       latency.Recorder
	answered  atomic.Int64
	nerr      atomic.Int64
	reconn    atomic.Int64
	notes     atomic.Int64
	live      atomic.Int64 // used on the first phase only
	// second, when set, takes the samples of requests started at or after
	// split (RunPhases).
	second *stats
	split  time.Time
}

// at returns the stats of the phase a request started at t belongs to.
func (s *stats) at(t time.Time) *stats {
	if s.second != nil && !t.Before(s.split) {
		return s.second
	}
	return s
}

func newStats() *stats {
	return &stats{methods: map[string]*latency.Recorder{}, methodErr: map[string]int64{}, errors: map[string]int64{}}
}

func (s *stats) recorder(method string) *latency.Recorder {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.methods[method]
	if r == nil {
		r = &latency.Recorder{}
		s.methods[method] = r
	}
	return r
}

func (s *stats) fail(method, kind, detail string) {
	s.nerr.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors[kind]++
	if method != "" {
		s.methodErr[method]++
	}
	if kind == "check" && s.firstBad == "" {
		s.firstBad = detail
	}
}

// ErrorKind classifies a Call error: the JSON-RPC code, "closed",
// "timeout" or "other".
func ErrorKind(err error) string {
	var rerr *rpcclient.Error
	switch {
	case errors.As(err, &rerr):
		return strconv.Itoa(rerr.Code)
	case errors.Is(err, rpcclient.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "other"
	}
}

// Run runs the sessions until the duration or the request budget is used
// up (or ctx ends) and returns the figures.
func Run(ctx context.Context, o Options) (*Result, error) {
	rs, err := RunPhases(ctx, o, 0)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// RunPhases is Run with the figures split in two phases when split > 0:
// requests started before split after the start, and the others (the
// sessions run on without interruption). It returns one result per phase;
// the second is labelled o.Label+" (phase 2)".
func RunPhases(ctx context.Context, o Options, split time.Duration) ([]*Result, error) {
	if o.Duration <= 0 && o.Requests <= 0 {
		return nil, errors.New("load: set a duration or a request count")
	}
	if len(o.Mix.Scripts) == 0 {
		return nil, errors.New("load: no script hashes to query")
	}
	o.Sessions = max(o.Sessions, 1)
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	st := newStats()
	start := time.Now()
	if split > 0 {
		st.second, st.split = newStats(), start.Add(split)
	}
	var budget atomic.Int64
	take := func() bool { return o.Requests <= 0 || budget.Add(1) <= o.Requests }
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				ph := st.at(time.Now())
				n, nerr := st.answered.Load(), st.nerr.Load()
				if ph != st {
					n, nerr = n+ph.answered.Load(), nerr+ph.nerr.Load()
				}
				o.Status.Printf("%s: %.0fs sessions %d/%d requests %d (%.0f/s) errors %d",
					o.Label, el, st.live.Load(), o.Sessions, n, float64(n)/el, nerr)
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range o.Sessions {
		wg.Go(func() { session(ctx, o, i, st, take) })
	}
	wg.Wait()
	close(done)
	o.Status.Done()
	elapsed := time.Since(start)
	if split <= 0 {
		return []*Result{st.result(o, elapsed)}, nil
	}
	first := st.result(o, min(split, elapsed))
	second := st.second.result(o, max(elapsed-split, time.Nanosecond))
	second.Label = o.Label + " (phase 2)"
	return []*Result{first, second}, nil
}

func session(ctx context.Context, o Options, i int, st *stats, take func() bool) {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
	w := mix.NewWallet(o.Mix, rng)
	var next time.Time
	if o.Pace > 0 {
		next = time.Now().Add(time.Duration(rng.Int64N(int64(o.Pace)))) // spread the sessions
	}
	for ctx.Err() == nil {
		c, err := rpcclient.Dial(ctx, o.Addr)
		if err != nil {
			if ctx.Err() == nil {
				st.at(time.Now()).fail("", "dial", err.Error())
				Sleep(ctx, 100*time.Millisecond)
			}
			continue
		}
		st.live.Add(1)
		more := serve(ctx, o, c, w, st, take, &next)
		st.live.Add(-1)
		st.at(time.Now()).notes.Add(c.Notifications())
		c.Close()
		if !more {
			return
		}
		st.at(time.Now()).reconn.Add(1)
		w.Restart()
		Sleep(ctx, 50*time.Millisecond)
	}
}

// serve sends the wallet's requests on c; false means stop (ctx or budget),
// true reconnect.
func serve(ctx context.Context, o Options, c *rpcclient.Conn, w *mix.Wallet, all *stats, take func() bool, next *time.Time) bool {
	for {
		if o.Pace > 0 {
			if !Sleep(ctx, time.Until(*next)) {
				return false
			}
			if *next = next.Add(o.Pace); next.Before(time.Now()) {
				*next = time.Now() // late: do not burst to catch up
			}
		}
		if ctx.Err() != nil || !take() {
			return false
		}
		req := w.Next()
		rctx, cancel := context.WithTimeout(ctx, o.Timeout)
		t0 := time.Now()
		st := all.at(t0)
		res, err := c.Call(rctx, req.Method, req.Params...)
		lat := time.Since(t0)
		cancel()
		if ctx.Err() != nil {
			return false // cut by the end of the run: not a sample
		}
		st.answered.Add(1)
		st.recorder(req.Method).Record(lat)
		st.all.Record(lat)
		if err != nil {
			kind := ErrorKind(err)
			st.fail(req.Method, kind, err.Error())
			if kind == "closed" {
				return true
			}
			continue
		}
		if o.Check {
			if err := mix.Check(req, res); err != nil {
				st.fail(req.Method, "check", err.Error())
			}
		}
	}
}

// Sleep waits d or until ctx ends; it reports whether ctx is still alive.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (st *stats) result(o Options, elapsed time.Duration) *Result {
	st.mu.Lock()
	defer st.mu.Unlock()
	r := &Result{Label: o.Label, Addr: o.Addr, ChainHeight: o.Mix.Height, Sessions: o.Sessions, Pace: o.Pace, Elapsed: elapsed,
		Requests: st.answered.Load(), All: st.all.Summary(), Histogram: st.all.BucketsPerOctave(HistogramPerOctave), Errors: map[string]int64{},
		FirstCheckFailure: st.firstBad, Reconnects: st.reconn.Load(), Notifications: st.notes.Load()}
	r.Rate = float64(r.Requests) / elapsed.Seconds()
	for k, v := range st.errors {
		r.Errors[k] = v
	}
	for m, rec := range st.methods {
		r.Methods = append(r.Methods, MethodResult{Method: m, Summary: rec.Summary(), Errors: st.methodErr[m], Histogram: rec.BucketsPerOctave(HistogramPerOctave)})
	}
	slices.SortFunc(r.Methods, func(a, b MethodResult) int { return int(b.Count - a.Count) })
	return r
}

// String is a one-line summary.
func (r *Result) String() string {
	return fmt.Sprintf("%s: %d sessions, %d requests in %.1fs = %.0f/s, p50 %s ms, p99 %s ms, p99.9 %s ms, %d errors",
		r.Label, r.Sessions, r.Requests, r.Elapsed.Seconds(), r.Rate, Ms(r.All.P50), Ms(r.All.P99), Ms(r.All.P999), r.ErrorCount())
}
