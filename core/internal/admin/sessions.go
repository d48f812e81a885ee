package admin

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/amber-electrum/amber/core/internal/session"
)

// flags are a session's status letters: kind initial, C if closing, L if
// logged, then the concurrency target (README, admin RPC: sessions).
func (s *Server) flags(x *session.Session) string {
	var b strings.Builder
	if k := x.Kind(); k != "" {
		b.WriteByte(k[0])
	}
	if x.Closing() {
		b.WriteByte('C')
	}
	if x.Logged() {
		b.WriteByte('L')
	}
	b.WriteString(strconv.Itoa(x.ConcurrencyTarget()))
	return b.String()
}

func (s *Server) sessions(context.Context, *session.Session, []json.RawMessage) (any, error) {
	now := time.Now()
	rows := [][]any{}
	for _, x := range s.liveSessions() { // ordered by id = start order
		c := x.Counters()
		peer := ""
		if a := x.RemoteAddr(); a != nil {
			peer = a.String()
		}
		rows = append(rows, []any{
			x.ID(), s.flags(x), peer, x.Client(), x.Protocol(), x.Cost(), x.ExtraCost(),
			x.Pending(), c.TxsSent.Load(), x.Subscriptions(), c.RecvCount.Load(), c.RecvBytes.Load(),
			c.SendCount.Load(), c.SendBytes.Load(), now.Sub(x.Start()).Seconds(),
		})
	}
	return rows, nil
}

func (s *Server) groupList() []GroupInfo {
	if s.opts.Groups == nil {
		return nil
	}
	return s.opts.Groups()
}

func (s *Server) groups(context.Context, *session.Session, []json.RawMessage) (any, error) {
	byID := s.sessionsByID()
	rows := [][]any{}
	for _, g := range s.groupList() {
		var cost float64
		var n, pending, txs, nsubs, rc, rb, sc, sb int64
		for _, id := range g.Members {
			x := byID[id]
			if x == nil {
				continue
			}
			c := x.Counters()
			n++
			cost += x.Cost()
			pending += x.Pending()
			txs += c.TxsSent.Load()
			nsubs += int64(x.Subscriptions())
			rc += c.RecvCount.Load()
			rb += c.RecvBytes.Load()
			sc += c.SendCount.Load()
			sb += c.SendBytes.Load()
		}
		rows = append(rows, []any{g.Name, n, cost, g.RetainedCost, pending, txs, nsubs, rc, rb, sc, sb})
	}
	return rows, nil
}

func (s *Server) sessionsByID() map[uint64]*session.Session {
	m := map[uint64]*session.Session{}
	for _, x := range s.liveSessions() {
		m[x.ID()] = x
	}
	return m
}

// refs is what a session_ids argument names: sessions (by id), groups
// (case-insensitive names), specials and unknown items, each once, in the
// order given.
type refs struct {
	sessions []*session.Session
	groups   []GroupInfo
	specials map[string]bool
	unknown  []string
}

func (s *Server) references(raw json.RawMessage, specials ...string) (refs, error) {
	items, ok := stringList(raw)
	if !ok {
		return refs{}, badRequest("expected a list of session IDs")
	}
	byID := s.sessionsByID()
	groups := map[string]GroupInfo{}
	for _, g := range s.groupList() {
		groups[strings.ToLower(g.Name)] = g
	}
	r := refs{specials: map[string]bool{}}
	seen := map[string]bool{}
	for _, item := range items {
		if isDigits(item) {
			id, err := strconv.ParseUint(item, 10, 64)
			if x := byID[id]; err == nil && x != nil {
				if !seen["s"+strconv.FormatUint(id, 10)] {
					seen["s"+strconv.FormatUint(id, 10)] = true
					r.sessions = append(r.sessions, x)
				}
				continue
			}
		} else {
			lc := strings.ToLower(item)
			if containsStr(specials, lc) {
				r.specials[lc] = true
				continue
			}
			if g, ok := groups[lc]; ok {
				if !seen["g"+lc] {
					seen["g"+lc] = true
					r.groups = append(r.groups, g)
				}
				continue
			}
		}
		if !seen["u"+item] {
			seen["u"+item] = true
			r.unknown = append(r.unknown, item)
		}
	}
	return r, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) disconnect(_ context.Context, caller *session.Session, args []json.RawMessage) (any, error) {
	r, err := s.references(args[0], "all")
	if err != nil {
		return nil, err
	}
	result := []string{}
	var victims []*session.Session
	if r.specials["all"] {
		victims = s.liveSessions()
		result = append(result, "disconnecting all sessions")
	} else {
		victims = append(victims, r.sessions...)
		for _, x := range r.sessions {
			result = append(result, "disconnecting session "+strconv.FormatUint(x.ID(), 10))
		}
		byID := s.sessionsByID()
		for _, g := range r.groups {
			result = append(result, "disconnecting group "+g.Name)
			for _, id := range g.Members {
				if x := byID[id]; x != nil {
					victims = append(victims, x)
				}
			}
		}
	}
	for _, u := range r.unknown {
		result = append(result, "unknown: "+u)
	}
	for _, x := range victims {
		if x == caller {
			// Our own session: close only once this reply is out.
			x.CloseAfterReply()
			continue
		}
		s.log.Info("closing session: local RPC request to disconnect", "session", x.ID())
		x.Close()
	}
	return result, nil
}

func (s *Server) logSessions(_ context.Context, _ *session.Session, args []json.RawMessage) (any, error) {
	r, err := s.references(args[0], "all", "none", "new")
	if err != nil {
		return nil, err
	}
	result := []string{}
	add := func(text string, on bool) {
		if on {
			result = append(result, "logging "+text)
		} else {
			result = append(result, "not logging "+text)
		}
	}
	if r.specials["all"] {
		for _, x := range s.liveSessions() {
			x.SetLogged(true)
		}
		s.opts.Sessions.SetLogNew(true)
		result = append(result, "logging all sessions")
	}
	if r.specials["none"] {
		for _, x := range s.liveSessions() {
			x.SetLogged(false)
		}
		s.opts.Sessions.SetLogNew(false)
		result = append(result, "logging no sessions")
	}
	if r.specials["new"] {
		on := !s.opts.Sessions.LogNew()
		s.opts.Sessions.SetLogNew(on)
		add("new sessions", on)
	}
	toggled := map[uint64]bool{}
	toggle := func(x *session.Session) {
		if toggled[x.ID()] {
			return
		}
		toggled[x.ID()] = true
		on := !x.Logged()
		x.SetLogged(on)
		add("session "+strconv.FormatUint(x.ID(), 10), on)
	}
	for _, x := range r.sessions {
		toggle(x)
	}
	byID := s.sessionsByID()
	for _, g := range r.groups {
		for _, id := range g.Members {
			if x := byID[id]; x != nil {
				toggle(x)
			}
		}
	}
	for _, u := range r.unknown {
		result = append(result, "unknown: "+u)
	}
	return result, nil
}
