package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
)

// portFree reports whether a TCP port can be listened on at host (all
// interfaces for "") right now.
func portFree(host string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// freePort returns a port free on host a moment ago.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %q: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portPicker hands out the configured port when it is free and not taken
// by an earlier pick, otherwise a free one, and logs each move.
type portPicker struct {
	log   *slog.Logger
	taken map[int]bool
}

func newPortPicker(log *slog.Logger) *portPicker {
	return &portPicker{log: log, taken: map[int]bool{}}
}

func (p *portPicker) pick(what, host string, want int) (int, error) {
	if want > 0 && !p.taken[want] && portFree(host, want) {
		p.taken[want] = true
		return want, nil
	}
	for range 20 {
		got, err := freePort(host)
		if err != nil {
			return 0, err
		}
		if !p.taken[got] {
			p.taken[got] = true
			p.log.Warn(fmt.Sprintf("%s: port %d from the config is in use; using %d instead", what, want, got))
			return got, nil
		}
	}
	return 0, fmt.Errorf("%s: no free port found", what)
}
