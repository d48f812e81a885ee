package electrum

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"sync"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/sdk"
)

// Sess is what a session's handler needs from its session;
// *session.Session satisfies it.
type Sess interface {
	ID() uint64
	Kind() string
	RemoteAddr() net.Addr
	Context() context.Context
	Notify(method string, params any) error
	AddCost(c float64)
	CloseAfterReply()
	Counters() *session.Counters
}

// handler is the Electrum side of one client session (a session.Handler):
// it answers the session's requests and owns its protocol state.
type handler struct {
	srv  *Server
	sess Sess

	mu          sync.Mutex
	versionSeen bool // server.version has been received (upstream sv_seen)
	refused     bool // a message came before server.version: the session is closing
	client      string
	table       *table
	protocol    Version // negotiated by server.version (nil before)
	protoName   string  // protocol.String(), asked for on every message
	headersSub  bool
	subs        map[index.HashX]*subscription // nil once the session has closed
	lastHeader  sdk.Hash                      // tip hash last sent as a header notification
}

type subscription struct {
	scripthash string  // as sent by the client
	status     *string // last status sent (nil = null)
	mempool    bool    // the status depends on mempool transactions
}

var _ session.Factory = (*Server)(nil)

// NewHandler opens the handler of a new client session
// (session.Factory).
func (srv *Server) NewHandler(s *session.Session) session.Handler { return srv.open(s) }

// open registers a handler for s: from now on index events reach it.
func (srv *Server) open(s Sess) *handler {
	h := &handler{srv: srv, sess: s, table: tables[0], subs: make(map[index.HashX]*subscription)}
	srv.sessMu.Lock()
	srv.sessions[h] = struct{}{}
	srv.sessMu.Unlock()
	return h
}

// Closed forgets the session and its subscriptions.
func (h *handler) Closed() {
	h.srv.sessMu.Lock()
	delete(h.srv.sessions, h)
	h.srv.sessMu.Unlock()
	h.mu.Lock()
	h.subs = nil
	h.mu.Unlock()
}

// Info reports the client name, the negotiated protocol and the number of
// script hash subscriptions (they slow the session's cost decay and show
// in admin's sessions and groups output).
func (h *handler) Info() session.Info {
	h.mu.Lock()
	defer h.mu.Unlock()
	return session.Info{Client: h.client, Protocol: h.protoName, Subscriptions: len(h.subs)}
}

// subscribe stores the subscription to hx. A handler that overran its
// request's deadline may get here after the session closed: then nothing
// is stored.
func (h *handler) subscribe(hx index.HashX, sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs != nil {
		h.subs[hx] = sub
	}
}

// clientName is the client's name ("unknown" before server.version gave
// one).
func (h *handler) clientName() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client == "" {
		return "unknown"
	}
	return h.client
}

// call is one request being handled.
type call struct {
	srv  *Server
	s    Sess
	h    *handler
	args []json.RawMessage
	cost Cost // the method's rule in the registry
}

// charge adds the method's cost for units u to the session: every cost a
// handler charges goes through its registry entry (coreMethods).
func (c *call) charge(u units) { c.s.AddCost(c.cost.Of(u)) }

// versionFirst is upstream's rule since 1.19 (session.py handle_request):
// any message but server.version before server.version gets the
// old-client notifications, then BAD_REQUEST and a disconnect.
//
// Once refused, the session is closing: every later message (the rest of
// a batch, server.version included) gets BAD_REQUEST without running,
// and the log line and the notifications are sent once.
func (h *handler) versionFirst(method string) *jsonrpc.Error {
	h.mu.Lock()
	seen, refused := h.versionSeen, h.refused
	first := !refused && !seen && method != "server.version"
	if first {
		h.refused = true
	}
	h.mu.Unlock()
	if refused {
		return badRequest("use server.version to identify client")
	}
	if !first {
		return nil
	}
	h.srv.log.Info("closing session: server.version must be first msg", "session", h.sess.ID(), "got", method)
	crashOldClient(h.sess)
	h.sess.CloseAfterReply()
	return badRequest("use server.version to identify client")
}

// crashOldClient sends the two notifications upstream sends to crash
// Electrum clients of versions it refuses (_do_crash_old_electrum_client):
// blockchain.relayfee and blockchain.estimatefee without parameters.
func crashOldClient(s Sess) {
	_ = s.Notify("blockchain.relayfee", nil)
	_ = s.Notify("blockchain.estimatefee", nil)
}

// Notified handles a client notification (a request without an id):
// upstream runs it through handle_request as "invalid method" (never
// answered), so before server.version it closes the session as any other
// first message would, and afterwards it is counted as an invalid method.
func (h *handler) Notified(string) {
	if h.versionFirst(invalidMethod) != nil {
		return
	}
	h.srv.stats.countRequest(invalidMethod)
}

// Handle answers one request of the session: it looks the method up in the
// session's core handler table, then among the plugin methods of the
// registry, binds the parameters and runs the handler or calls the plugin.
// server.version must come first for both.
func (h *handler) Handle(ctx context.Context, method string, params json.RawMessage) (any, error) {
	srv := h.srv
	h.mu.Lock()
	tbl := h.table
	h.mu.Unlock()
	m, ok := tbl.methods[method]
	if !ok {
		if rt := srv.reg.route(method); rt != nil {
			if e := h.versionFirst(method); e != nil {
				return nil, e
			}
			return h.callPlugin(ctx, rt, params)
		}
	}
	name := method
	if !ok {
		name = invalidMethod
	}
	if e := h.versionFirst(name); e != nil {
		return nil, e
	}
	srv.stats.countRequest(name)
	if !ok {
		return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, `unknown method "%s"`, method)
	}
	if m.extraOK {
		params = dropExtra(params, m.names)
	}
	args, rerr := jsonrpc.BindParams(method, params, m.names, m.required)
	if rerr != nil {
		return nil, rerr
	}
	for i, a := range args {
		if a != nil {
			args[i] = bytes.TrimSpace(a)
		}
	}
	res, err := m.fn(ctx, &call{srv: srv, s: h.sess, h: h, args: args, cost: m.cost})
	if err != nil {
		if je, ok := err.(*jsonrpc.Error); ok && je == nil {
			err = nil
		}
	}
	return res, err
}
