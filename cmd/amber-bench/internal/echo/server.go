package echo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
)

// Server is a running echo server.
type Server struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Listen starts an echo server on addr (use "127.0.0.1:0"). It stops when
// ctx ends or Close is called.
func Listen(ctx context.Context, addr string) (*Server, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("echo: %w", err)
	}
	s := &Server{l: l, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	return s, nil
}

// Addr is the listening host:port.
func (s *Server) Addr() string { return s.l.Addr().String() }

// Close stops the listener and every connection, and waits for them.
func (s *Server) Close() error {
	err := s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		})
	}
}

// Request is what the server decodes from a line.
type Request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// Answer returns the reply line (without the newline) for one request
// line: the params echoed as result, or a -32700 parse error.
func Answer(line []byte) []byte {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil || len(req.ID) == 0 {
		return []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`)
	}
	params := req.Params
	if len(params) == 0 {
		params = json.RawMessage("[]")
	}
	out := make([]byte, 0, len(line)+32)
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = append(out, req.ID...)
	out = append(out, `,"result":`...)
	out = append(out, params...)
	return append(out, '}')
}

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		if _, err := w.Write(append(Answer(line), '\n')); err != nil {
			return
		}
		// Flush when no further request is already buffered (pipelining).
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}
