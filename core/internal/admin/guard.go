package admin

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/transport"
)

// AuthMember is the request member that carries the admin cookie:
// {"jsonrpc":"2.0","method":"getinfo","params":[],"id":1,"auth":"<cookie>"}.
// In a batch every request carries it.
const AuthMember = "auth"

// ErrRefused ends an admin connection whose input was refused; it wraps
// io.EOF so the session ends as on a clean close.
var ErrRefused = fmt.Errorf("admin connection refused: %w", io.EOF)

// Verdict is what the guard decided about one admin line.
type Verdict int

// Verdicts of Check.
const (
	Accept  Verdict = iota // a JSON-RPC object or batch, authenticated if required
	HTTP                   // an HTTP request line or header: closed, nothing run
	NotJSON                // anything else that is not a JSON object or array: closed
	NoAuth                 // JSON-RPC without the right cookie: refused and closed
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case HTTP:
		return "HTTP request"
	case NotJSON:
		return "not JSON-RPC"
	default:
		return "wrong or missing cookie"
	}
}

// httpLine matches an HTTP/0.9-1.x request line ("POST / HTTP/1.1",
// "GET /x") and a header line ("Host: 127.0.0.1:8000").
var (
	httpRequestLine = regexp.MustCompile(`^[A-Z]{3,10} +\S+( +HTTP/\d(\.\d)?)?\s*$`)
	httpHeaderLine  = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+:`)
)

// Check judges one line received on the admin RPC: only a JSON object or
// array is JSON-RPC; a line that looks like HTTP is reported as such; when
// cookie is not empty every request object must carry it in AuthMember.
func Check(line []byte, cookie string) Verdict {
	t := bytes.TrimSpace(line)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		if httpRequestLine.Match(t) || httpHeaderLine.Match(t) || bytes.HasPrefix(t, []byte("HTTP/")) {
			return HTTP
		}
		return NotJSON
	}
	if !json.Valid(t) {
		return NotJSON
	}
	if cookie == "" {
		return Accept
	}
	var objs []json.RawMessage
	if t[0] == '[' {
		if json.Unmarshal(t, &objs) != nil || len(objs) == 0 {
			return NoAuth
		}
	} else {
		objs = []json.RawMessage{t}
	}
	for _, o := range objs {
		var m map[string]json.RawMessage // exact member names
		var got string
		if json.Unmarshal(o, &m) != nil || json.Unmarshal(m[AuthMember], &got) != nil ||
			subtle.ConstantTimeCompare([]byte(got), []byte(cookie)) != 1 {
			return NoAuth
		}
	}
	return Accept
}

// Guard filters the lines of admin RPC connections before the session
// reads them (issue 11.6): the first line that is not JSON-RPC (HTTP
// request lines and headers included) closes the connection with nothing
// executed, and with a cookie set, a request without it is answered with
// an error and the connection closed.
type Guard struct {
	// Cookie is the secret every request must carry; "" disables
	// authentication.
	Cookie string
	Logger *slog.Logger
}

// Wrap returns c with its reads filtered by the guard.
func (g *Guard) Wrap(c transport.Conn) transport.Conn {
	log := g.Logger
	if log == nil {
		log = slog.Default()
	}
	return &guardedConn{Conn: c, cookie: g.Cookie, log: log}
}

type guardedConn struct {
	transport.Conn
	cookie string
	log    *slog.Logger
}

// ReadMessage returns the next accepted line, or ErrRefused after closing
// the connection on a refused one.
func (c *guardedConn) ReadMessage(ctx context.Context) ([]byte, error) {
	msg, err := c.Conn.ReadMessage(ctx)
	if err != nil {
		return nil, err
	}
	v := Check(msg, c.cookie)
	if v == Accept {
		return msg, nil
	}
	c.log.Warn("closing admin connection", "reason", v.String(), "remote", addrOf(c.Conn))
	if v == NoAuth {
		e := jsonrpc.Errorf(jsonrpc.InvalidRequest, "authentication required: wrong or missing %s member (rpc_auth cookie)", AuthMember)
		reply := jsonrpc.EncodeError(jsonrpc.Dialect2, requestID(msg), e)
		_ = c.Conn.WriteMessage(ctx, reply)
	}
	_ = c.Conn.Close()
	return nil, ErrRefused
}

// requestID is the id of a single request, or null.
func requestID(msg []byte) json.RawMessage {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(msg, &m) != nil || len(m.ID) == 0 {
		return json.RawMessage("null")
	}
	return m.ID
}

func addrOf(c transport.Conn) string {
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// IsRefused reports whether err ended a connection the guard refused.
func IsRefused(err error) bool { return errors.Is(err, ErrRefused) }
