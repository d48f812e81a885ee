package subbench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
)

// Report is the JSON result of `amber-bench subscribe` (the fields named
// in docs/dev's contract first; the rest are extra).
type Report struct {
	Command        string        `json:"command"`
	Date           time.Time     `json:"date"`
	Sessions       int           `json:"sessions"`
	SubsPerSession int           `json:"subs_per_session"`
	ConnectElapsed time.Duration `json:"connect_elapsed_ns"`
	Memory         Memory        `json:"memory"`
	Events         []Event       `json:"events"`

	Server        string  `json:"server"`
	AmberdPID     int     `json:"amberd_pid"`
	Height        int64   `json:"start_height"`
	Seed          int64   `json:"seed"`
	KeyOffset     int     `json:"key_offset"`
	NoFile        uint64  `json:"nofile_limit"`
	Connected     int     `json:"sessions_connected"`
	Failed        int     `json:"sessions_failed"`
	FirstError    string  `json:"first_error,omitempty"`
	ConnectPerS   float64 `json:"connect_sessions_per_s"`
	SubscribePerS float64 `json:"subscribe_requests_per_s"`
	Funding       Funding `json:"funding"`
	Disconnected  int     `json:"sessions_disconnected_at_end"`
	StrayNotes    int64   `json:"stray_notifications"`
	SetupBlocks   int     `json:"setup_blocks_mined"` // mined to fund the run, before any measurement
}

// Memory is amberd's memory before and after the sessions connected.
type Memory struct {
	BeforeRSS  int64         `json:"before_rss_bytes"`
	AfterRSS   int64         `json:"after_rss_bytes"`
	PerSession float64       `json:"per_session_bytes"` // (after - before) / sessions connected
	Idle       time.Duration `json:"idle_ns"`           // wait between the last subscription and the second reading
	// From the metrics endpoint, when given.
	HeapInuseBefore  int64   `json:"heap_inuse_before_bytes,omitempty"`
	HeapInuseAfter   int64   `json:"heap_inuse_after_bytes,omitempty"`
	HeapPerSession   float64 `json:"heap_inuse_per_session_bytes,omitempty"`
	PeakRSSAfterIdle int64   `json:"peak_rss_bytes"`
}

// Funding describes the mempool event's transactions.
type Funding struct {
	Txs       int           `json:"txs"`
	Outputs   int           `json:"outputs"`
	Amount    int64         `json:"amount_sat"`
	FeeRate   float64       `json:"fee_rate_sat_vb"`
	VSize     int64         `json:"vsize"`
	Broadcast time.Duration `json:"broadcast_ns"` // the sendrawtransaction batch
}

// Event is one measured event.
type Event struct {
	Kind      string           `json:"kind"` // "mempool" or "block"
	Height    int64            `json:"height"`
	Sessions  int              `json:"sessions"`
	Notified  int              `json:"notified"`
	Latency   latency.Summary  `json:"latency"`
	Histogram []latency.Bucket `json:"histogram"` // non-empty, not cumulative (latency.Recorder.BucketsPerOctave)

	// T0 says what the latencies are measured from; Trigger is how long
	// that call took (its start is Trigger before t0).
	T0       string           `json:"t0"`
	Trigger  time.Duration    `json:"trigger_ns"`
	Expects  []string         `json:"expects"`
	First    time.Duration    `json:"first_ns"`
	Missing  int              `json:"missing"`
	Early    int              `json:"early"` // last notification before t0 (recorded as 0)
	Kinds    map[string]Tally `json:"notifications"`
	Extra    int              `json:"extra_sessions"` // sessions with unexpected/duplicate notifications
	TimedOut bool             `json:"timed_out"`
	Waited   time.Duration    `json:"waited_ns"`
	// The first sessions that missed something or got extras.
	MissingSample []Missing `json:"missing_sample,omitempty"`
	ExtraSample   []Extra   `json:"extra_sample,omitempty"`
}

const sampleSize = 10

// HistogramPerOctave is the resolution of the exported histograms (the
// same as the query subcommand's).
const HistogramPerOctave = 16

// event turns a finished round into an Event.
func event(kind string, height int64, r *Result, t0 string, trig time.Duration, expects []string, waited time.Duration, timedOut bool) Event {
	e := Event{Kind: kind, Height: height, Sessions: r.Sessions, Notified: r.Notified, Latency: r.Latency.Summary(),
		Histogram: r.Latency.BucketsPerOctave(HistogramPerOctave), T0: t0, Trigger: trig, Expects: expects, First: r.Latency.Percentile(0),
		Missing: len(r.Missing), Early: r.Early, Kinds: r.Kinds, Extra: len(r.Extra), TimedOut: timedOut, Waited: waited}
	if e.Histogram == nil {
		e.Histogram = []latency.Bucket{}
	}
	e.MissingSample = r.Missing[:min(len(r.Missing), sampleSize)]
	e.ExtraSample = r.Extra[:min(len(r.Extra), sampleSize)]
	return e
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// WriteText writes the human report.
func WriteText(w io.Writer, r *Report) {
	fmt.Fprintf(w, "subscribe: %s, %d sessions x %d script hash subscriptions (amberd pid %d, tip %d at start)\n",
		r.Server, r.Sessions, r.SubsPerSession, r.AmberdPID, r.Height)
	fmt.Fprintf(w, "connect+subscribe: %d ok, %d failed in %.2f s (%.0f sessions/s, %.0f subscribe requests/s)\n",
		r.Connected, r.Failed, r.ConnectElapsed.Seconds(), r.ConnectPerS, r.SubscribePerS)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first failure: %s\n", r.FirstError)
	}
	m := r.Memory
	fmt.Fprintf(w, "amberd RSS: before %s, after %s (idle %v): %.0f bytes = %.1f KiB per idle session; peak RSS %s\n",
		mib(m.BeforeRSS), mib(m.AfterRSS), m.Idle, m.PerSession, m.PerSession/1024, mib(m.PeakRSSAfterIdle))
	if m.HeapInuseAfter > 0 {
		fmt.Fprintf(w, "amberd Go heap in use: before %s, after %s: %.1f KiB per session\n",
			mib(m.HeapInuseBefore), mib(m.HeapInuseAfter), m.HeapPerSession/1024)
	}
	f := r.Funding
	fmt.Fprintf(w, "funding: %d txs, %d outputs of %d sat, %.1f sat/vB, %d vB, broadcast in %s ms\n",
		f.Txs, f.Outputs, f.Amount, f.FeeRate, f.VSize, ms(f.Broadcast))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "event\theight\tsessions\tnotified\tmissing\textra\tfirst ms\tp50 ms\tp99 ms\tlast ms\t")
	for _, e := range r.Events {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", e.Kind, e.Height, e.Sessions, e.Notified, e.Missing,
			e.Extra, ms(e.First), ms(e.Latency.P50), ms(e.Latency.P99), ms(e.Latency.Max))
	}
	tw.Flush()
	for _, e := range r.Events {
		fmt.Fprintf(w, "  %s %d: t0 = %s; each session expects %s", e.Kind, e.Height, e.T0, strings.Join(e.Expects, " and "))
		if e.TimedOut {
			fmt.Fprintf(w, "; TIMED OUT after %v", e.Waited.Round(time.Millisecond))
		}
		if e.Early > 0 {
			fmt.Fprintf(w, "; %d sessions notified before t0", e.Early)
		}
		fmt.Fprintln(w)
		for _, ms := range e.MissingSample {
			fmt.Fprintf(w, "    session %d misses %v\n", ms.Session, ms.Keys)
		}
		for _, x := range e.ExtraSample {
			fmt.Fprintf(w, "    session %d got %d unexpected: %v\n", x.Session, x.Count, x.Keys)
		}
	}
	if r.Disconnected > 0 || r.StrayNotes > 0 {
		fmt.Fprintf(w, "sessions disconnected by the end: %d; notifications outside any event: %d\n", r.Disconnected, r.StrayNotes)
	}
}
