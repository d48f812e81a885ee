package attack

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
)

// Options configure a run.
type Options struct {
	Addr      string        // amberd's TCP service, 127.0.0.1:port
	PID       int           // amberd's process id (for its RSS); 0: not measured
	Duration  time.Duration // length of the baseline and of the attack phase
	Polite    int           // polite clients
	Pace      time.Duration // gap between a polite client's requests
	Attackers int           // attacking connections (the shape's own default when 0)
	// SameAddress makes every attacking connection come from 127.0.1.1
	// (default: a new 127.1.x.y address per connection, 250 to a /24).
	SameAddress bool
	// NormalPriority runs the attacking process at the same CPU priority
	// as the polite clients (default: nice 19 and SCHED_IDLE, see
	// startLow).
	NormalPriority bool
}

// Outcome is what happened to the attacker.
type Outcome struct {
	Connections int64            `json:"connections"`      // opened
	Refused     int64            `json:"refused"`          // dial failed or closed before any reply
	ClosedByAmb int64            `json:"closed_by_amberd"` // ended by amberd during the attack
	Replies     int64            `json:"replies"`          // reply lines received
	Errors      map[string]int64 `json:"errors_by_code"`   // error codes in replies
	SentBytes   int64            `json:"sent_bytes"`       // bytes written
	Note        string           `json:"note,omitempty"`   // shape-specific
	mu          sync.Mutex
}

func (o *Outcome) code(c string) {
	o.mu.Lock()
	if o.Errors == nil {
		o.Errors = map[string]int64{}
	}
	o.Errors[c]++
	o.mu.Unlock()
}

// Polite summarises the polite clients of one phase.
type Polite struct {
	Requests int64            `json:"requests"`
	Errors   int64            `json:"errors"`
	Latency  latency.Summary  `json:"latency"`
	Failures map[string]int64 `json:"failures,omitempty"`
}

// Result is one attack run.
type Result struct {
	Attack      string    `json:"attack"`
	Date        time.Time `json:"date"`
	Baseline    Polite    `json:"baseline"`
	UnderAttack Polite    `json:"under_attack"`
	P99Ratio    float64   `json:"p99_ratio"`
	RSSBefore   int64     `json:"rss_before_bytes"`
	PeakRSS     int64     `json:"peak_rss_bytes"` // during the attack phase
	Attacker    *Outcome  `json:"attacker"`
	// AttackerPriority is the attacking process's scheduling ("nice 19,
	// SCHED_IDLE" unless Options.NormalPriority).
	AttackerPriority string `json:"attacker_priority"`
}

// shape attacks until ctx ends.
type shape struct {
	name, short string
	conns       int
	run         func(ctx context.Context, a *attacker)
}

// Names lists the attacks with a line each.
func Names() [][2]string {
	out := make([][2]string, len(shapes))
	for i, s := range shapes {
		out[i] = [2]string{s.name, s.short}
	}
	return out
}

// Run measures the polite clients alone, then under the attack.
func Run(ctx context.Context, name string, o Options) (*Result, error) {
	i := slices.IndexFunc(shapes, func(s shape) bool { return s.name == name })
	if i < 0 {
		return nil, fmt.Errorf("attack: unknown attack %q", name)
	}
	sh := shapes[i]
	if o.Attackers <= 0 {
		o.Attackers = sh.conns
	}
	res := &Result{Attack: name, Date: time.Now().UTC(), Attacker: &Outcome{}}
	res.Baseline = politeRun(ctx, o)
	if o.PID > 0 {
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", o.PID), []byte("5"), 0); err != nil {
			return nil, fmt.Errorf("attack: reset amberd's peak RSS: %w", err)
		}
		m, err := procstat.Read(o.PID)
		if err != nil {
			return nil, err
		}
		res.RSSBefore = m.RSS
	}
	// The attack runs in a child process (see worker.go).
	ch, err := startChild(ctx, workerArgs{Attack: sh.name, Addr: o.Addr, N: o.Attackers, Same: o.SameAddress,
		Low: !o.NormalPriority})
	if err != nil {
		return nil, fmt.Errorf("attack: start the attack process: %w", err)
	}
	// Let the attack build up for a second, then measure the polite
	// clients for the phase.
	sleep(ctx, time.Second)
	res.AttackerPriority = summarise(threadPriorities(ch.cmd.Process.Pid))
	res.UnderAttack = politeRun(ctx, o)
	if o.PID > 0 {
		m, err := procstat.Read(o.PID)
		if err == nil {
			res.PeakRSS = m.Peak
		}
	}
	out, err := ch.stop()
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	res.Attacker = out
	if p := res.Baseline.Latency.P99; p > 0 {
		res.P99Ratio = float64(res.UnderAttack.Latency.P99) / float64(p)
	}
	return res, ctx.Err()
}

// summarise is "N threads: nice 19, SCHED_IDLE" when all threads agree,
// else each distinct value with its count.
func summarise(ps []string) string {
	if len(ps) == 0 {
		return "not read (the attack process had ended)"
	}
	n := map[string]int{}
	for _, p := range ps {
		n[p]++
	}
	keys := slices.Sorted(maps.Keys(n))
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += "; "
		}
		out += fmt.Sprintf("%d threads: %s", n[k], k)
	}
	return out
}

// attacker is a shape's connection factory and outcome.
type attacker struct {
	addr string
	n    int
	same bool
	out  *Outcome
	next atomic.Int64
}

// dial connects from 127.1.x.y, a new source address per connection, 250
// to a /24 (other groups than the polite clients, politeAddr).
func (a *attacker) dial(ctx context.Context) (net.Conn, error) {
	k := a.next.Add(1) - 1
	src := net.IPv4(127, 1, byte(k/250%250), byte(1+k%250))
	if a.same {
		src = net.IPv4(127, 0, 1, 1)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}
	a.out.mu.Lock()
	a.out.Connections++
	a.out.mu.Unlock()
	c, err := d.DialContext(ctx, "tcp", a.addr)
	if err != nil {
		atomic.AddInt64(&a.out.Refused, 1)
	}
	return c, err
}

// helloLine is the server.version an attacker pipelines first: amberd
// refuses anything before it, and runs a session's requests in order
// until it is negotiated, so the attack can follow without waiting.
var helloLine = []byte(`{"jsonrpc":"2.0","id":"v","method":"server.version","params":["amber-bench-attack","1.4"]}` + "\n")

// dialHello is dial followed by server.version (not waited for).
func (a *attacker) dialHello(ctx context.Context) (net.Conn, error) {
	c, err := a.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.write(c, helloLine); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// each runs fn on n goroutines and waits.
func each(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
