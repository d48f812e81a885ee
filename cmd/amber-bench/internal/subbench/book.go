package subbench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
)

// Electrum notification methods.
const (
	HeadersMethod    = "blockchain.headers.subscribe"
	ScriptHashMethod = "blockchain.scripthash.subscribe"
)

// Key names one expected notification: a header notification at a height
// ("header 603") or a script hash notification with the status it carries
// ("scripthash <hash> <status or null>").
type Key string

// HeaderKey is the key of a header notification for height.
func HeaderKey(height int64) Key { return Key(fmt.Sprintf("header %d", height)) }

// ScriptKey is the key of a notification for script hash sh with status
// (nil: no history).
func ScriptKey(sh string, status *string) Key {
	st := "null"
	if status != nil {
		st = *status
	}
	return Key("scripthash " + sh + " " + st)
}

// StatusEntry is one history entry, for Status.
type StatusEntry struct {
	TxID   string // display hex
	Height int64  // 0: mempool, all inputs confirmed; -1: mempool with unconfirmed inputs
}

// Status is the Electrum status of a history: the hex sha256 of the
// concatenated "txid:height:" of its entries; nil for an empty history.
func Status(entries []StatusEntry) *string {
	if len(entries) == 0 {
		return nil
	}
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s:%d:", e.TxID, e.Height)
	}
	s := hex.EncodeToString(h.Sum(nil))
	return &s
}

// NoteKey parses a notification's method and params into its Key:
// headers params are [{"height":h,...}], script hash params [sh, status].
func NoteKey(method string, params json.RawMessage) (Key, error) {
	switch method {
	case HeadersMethod:
		var p []struct {
			Height *int64 `json:"height"`
		}
		if err := json.Unmarshal(params, &p); err != nil || len(p) != 1 || p[0].Height == nil {
			return "", fmt.Errorf("%s: bad params %.100s", method, params)
		}
		return HeaderKey(*p[0].Height), nil
	case ScriptHashMethod:
		var p []json.RawMessage
		var sh string
		var status *string
		if err := json.Unmarshal(params, &p); err != nil || len(p) != 2 || json.Unmarshal(p[0], &sh) != nil ||
			len(sh) != 64 || json.Unmarshal(p[1], &status) != nil || (status != nil && len(*status) != 64) {
			return "", fmt.Errorf("%s: bad params %.100s", method, params)
		}
		return ScriptKey(sh, status), nil
	}
	return "", fmt.Errorf("unexpected notification %q", method)
}

// Book keeps, for every session, the notifications the current round
// (event) still expects and when the last expected one arrived. Note is
// safe to call from every session's read goroutine at once.
type Book struct {
	sess []sessBook
	// remaining counts sessions of the current round still missing
	// something; all is closed when it reaches zero.
	remaining atomic.Int64
	mu        sync.Mutex // guards all
	all       chan struct{}
	stray     atomic.Int64
}

type sessBook struct {
	mu     sync.Mutex
	keys   []Key        // expected in this round
	want   map[Key]bool // expected and not yet seen in this round
	last   time.Time    // arrival of the latest expected notification
	extra  []Key        // unexpected notifications in this round (capped)
	nExtra int
	stray  int // notifications outside any round, or unparsable
	active bool
}

const maxExtraKept = 8

// NewBook returns a book for n sessions.
func NewBook(n int) *Book {
	b := &Book{sess: make([]sessBook, n), all: make(chan struct{})}
	close(b.all)
	return b
}

// Sessions is the number of sessions in the book.
func (b *Book) Sessions() int { return len(b.sess) }

// Start begins a round: expect(i) lists what session i should receive
// (nil or empty: nothing, the session is not part of the round). It
// discards the previous round's state.
func (b *Book) Start(expect func(i int) []Key) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all = make(chan struct{})
	var n int64
	for i := range b.sess {
		s := &b.sess[i]
		keys := expect(i)
		s.mu.Lock()
		s.want = make(map[Key]bool, len(keys))
		s.keys = s.keys[:0]
		for _, k := range keys {
			if !s.want[k] {
				s.want[k] = true
				s.keys = append(s.keys, k)
			}
		}
		s.last, s.extra, s.nExtra = time.Time{}, nil, 0
		s.active = len(s.want) > 0
		if s.active {
			n++
		}
		s.mu.Unlock()
	}
	b.remaining.Store(n)
	if n == 0 {
		close(b.all)
	}
}

// Note records that session i received a notification at time at.
func (b *Book) Note(i int, method string, params json.RawMessage, at time.Time) {
	if i < 0 || i >= len(b.sess) {
		b.stray.Add(1)
		return
	}
	s := &b.sess[i]
	k, err := NoteKey(method, params)
	s.mu.Lock()
	if err != nil || !s.active {
		if err == nil && s.want != nil { // a round is open but the session is done: a duplicate
			s.nExtra++
			if len(s.extra) < maxExtraKept {
				s.extra = append(s.extra, k)
			}
		} else {
			s.stray++
			b.stray.Add(1)
		}
		s.mu.Unlock()
		return
	}
	if !s.want[k] {
		s.nExtra++
		if len(s.extra) < maxExtraKept {
			s.extra = append(s.extra, k)
		}
		s.mu.Unlock()
		return
	}
	delete(s.want, k)
	if at.After(s.last) {
		s.last = at
	}
	done := len(s.want) == 0
	if done {
		s.active = false
	}
	s.mu.Unlock()
	if done && b.remaining.Add(-1) == 0 {
		b.mu.Lock()
		select {
		case <-b.all:
		default:
			close(b.all)
		}
		b.mu.Unlock()
	}
}

// Done is closed once every session of the current round got everything
// it expects.
func (b *Book) Done() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all
}

// Remaining is the number of sessions still missing something.
func (b *Book) Remaining() int64 { return b.remaining.Load() }

// Stray is the number of notifications that arrived outside any round (or
// could not be parsed), over the book's life.
func (b *Book) Stray() int64 { return b.stray.Load() }

// Missing is one session that did not get everything.
type Missing struct {
	Session int   `json:"session"`
	Keys    []Key `json:"missing"`
}

// Extra is one session that got notifications it should not have.
type Extra struct {
	Session int   `json:"session"`
	Count   int   `json:"count"`
	Keys    []Key `json:"keys"` // the first few
}

// Tally counts one kind of notification ("header", "scripthash") over the
// sessions of a round.
type Tally struct {
	Expected int `json:"expected"`
	Received int `json:"received"`
}

// Result is a finished round, its latencies measured from t0.
type Result struct {
	Sessions int               // sessions expecting something
	Notified int               // sessions that got everything
	Latency  *latency.Recorder // per notified session: last expected arrival - t0
	Values   []time.Duration   // the same latencies, in session order
	Early    int               // notified sessions whose last arrival was before t0 (recorded as 0)
	Missing  []Missing         // sessions that missed something, in session order
	Extra    []Extra           // sessions with unexpected or duplicate notifications
	Kinds    map[string]Tally  // by kind of key
}

// Kind is the kind of a key: "header" or "scripthash".
func (k Key) Kind() string {
	for i := range len(k) {
		if k[i] == ' ' {
			return string(k[:i])
		}
	}
	return string(k)
}

// Finish closes the current round and measures it from t0: a session that
// got all it expected contributes its last arrival - t0. Notifications
// arriving after Finish count as stray.
func (b *Book) Finish(t0 time.Time) *Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &Result{Latency: &latency.Recorder{}, Kinds: map[string]Tally{}}
	for i := range b.sess {
		s := &b.sess[i]
		s.mu.Lock()
		if len(s.keys) > 0 {
			r.Sessions++
			for _, k := range s.keys {
				t := r.Kinds[k.Kind()]
				t.Expected++
				if !s.want[k] {
					t.Received++
				}
				r.Kinds[k.Kind()] = t
			}
			if len(s.want) == 0 {
				r.Notified++
				d := s.last.Sub(t0)
				if d < 0 {
					r.Early++
					d = 0
				}
				r.Latency.Record(d)
				r.Values = append(r.Values, d)
			} else {
				m := Missing{Session: i}
				for k := range s.want {
					m.Keys = append(m.Keys, k)
				}
				sort.Slice(m.Keys, func(a, c int) bool { return m.Keys[a] < m.Keys[c] })
				r.Missing = append(r.Missing, m)
			}
		}
		if s.nExtra > 0 {
			r.Extra = append(r.Extra, Extra{Session: i, Count: s.nExtra, Keys: s.extra})
		}
		s.keys, s.want, s.active, s.extra, s.nExtra = nil, nil, false, nil, 0
		s.mu.Unlock()
	}
	b.remaining.Store(0)
	select {
	case <-b.all:
	default:
		close(b.all)
	}
	return r
}
