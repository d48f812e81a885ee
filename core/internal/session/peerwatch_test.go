package session

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestPeerWatchOneTimer (issue 11): the reader's peer-closed watch uses
// one timer for the whole session, however many requests it reads, and
// a disarmed watch ends nothing (the reader sees the EOF itself).
func TestPeerWatchOneTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := &closingConn{fakeConn: newFakeConn()}
		done, stop := serveConn(t, m, c, blockers(nil), Profile{Concurrency: 4, RequestTimeout: time.Hour})
		defer stop()
		var first *time.Timer
		for i := range 50 {
			c.in <- []byte(req(i, "echo"))
			c.read(t)
			c.in <- []byte(batchOf(3, "echo"))
			c.read(t)
			synctest.Wait()
			s := m.Sessions()[0]
			if s.peer == nil || s.peer.t == nil {
				t.Fatal("no peer watch after a request")
			}
			s.peer.mu.Lock()
			tm, armed := s.peer.t, s.peer.armed
			s.peer.mu.Unlock()
			if first == nil {
				first = tm
			} else if tm != first {
				t.Fatalf("request %d armed a new timer", i)
			}
			if armed {
				t.Fatalf("watch armed while the reader waits for input")
			}
		}
		c.peerGone.Store(true)
		time.Sleep(10 * peerCheckPeriod)
		select {
		case <-done:
			t.Fatal("a disarmed watch ended the session")
		default:
		}
	})
}
