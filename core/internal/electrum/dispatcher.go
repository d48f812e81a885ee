package electrum

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/core/internal/session"
)

var _ session.Dispatcher = (*Server)(nil)

// Opened implements session.Dispatcher.
func (srv *Server) Opened(s *session.Session) { srv.Open(s) }

// Dispatch implements session.Dispatcher.
func (srv *Server) Dispatch(ctx context.Context, s *session.Session, method string, params json.RawMessage) (any, error) {
	return srv.Handle(ctx, s, method, params)
}

// Closed implements session.Dispatcher.
func (srv *Server) Closed(s *session.Session) { srv.Close(s) }

// countTxSent bumps the session's txs-sent counter when s is a real session.
func countTxSent(s Sess) {
	if ss, ok := s.(*session.Session); ok {
		ss.Counters().TxsSent.Add(1)
	}
}
