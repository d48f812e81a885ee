package load

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Status is a live one-line status on a terminal (stderr): each Printf
// overwrites the line, at most every 200 ms; Done ends the line. A nil
// *Status or one with a nil writer does nothing.
type Status struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
	used bool
}

// NewStatus returns a status line writing to w.
func NewStatus(w io.Writer) *Status { return &Status{w: w} }

// Printf replaces the status line (rate-limited).
func (s *Status) Printf(format string, args ...any) {
	if s == nil || s.w == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); now.Sub(s.last) >= 200*time.Millisecond {
		s.last = now
		s.used = true
		fmt.Fprintf(s.w, "\r\033[K"+format, args...)
	}
}

// Done ends the status line.
func (s *Status) Done() {
	if s == nil || s.w == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used {
		fmt.Fprint(s.w, "\r\033[K")
		s.used = false
	}
}
