package server

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/extmethods"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
)

// startAll runs plugin start-up as New does, with an Electrum registry and
// no index or host services.
func startAll(t *testing.T, s *Server) {
	t.Helper()
	if err := s.startPlugins(ctx30(t), pluginhost.Start); err != nil {
		t.Fatal(err)
	}
	if err := s.configureChain(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	s.daemon = &feeRoute{chain: s.roster.chain}
	s.el = electrum.New(electrum.Options{Daemon: s.daemon})
	s.ext.Store(extmethods.New(extmethods.Options{Registry: s.el.Registry()}))
	if err := s.configurePlugins(ctx30(t)); err != nil {
		t.Fatal(err)
	}
}

// routed lists the plugin methods in the registry, by plugin.
func routed(s *Server) map[string][]string {
	out := map[string][]string{}
	for _, m := range s.ext.Load().Methods() {
		out[m.Plugin] = append(out[m.Plugin], m.Spec.Name)
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// waitFor polls cond for up to 30 s (the plugin restarts on its
// supervisor's goroutine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestMethodsReregisteredAfterRestart: a method provider's methods are
// routed at start-up; after a crash the restarted process's methods are
// routed again (a new binary may declare others); a restarted plugin whose
// methods are refused keeps its previous ones routed; admin plugins lists
// the chain backend first with the roles and methods.
func TestMethodsReregisteredAfterRestart(t *testing.T) {
	methods := writeMethods(t, "hello.ping")
	s := testServer(t, map[string]*config.Plugin{
		"mydaemon": helperBlock(t, "mydaemon", "chain"),
		"hello":    helperBlock(t, "hello", "methods:"+methods),
	})
	logs := &syncBuffer{}
	s.log = slog.New(slog.NewTextHandler(logs, nil))
	startAll(t, s)
	if got := routed(s); !slices.Equal(got["hello"], []string{"hello.ping"}) || len(got) != 1 {
		t.Fatalf("routed at start-up: %v", got)
	}
	hello := s.roster.byName("hello")

	setMethods(t, methods, "hello.ping", "hello.pong")
	if err := syscall.Kill(hello.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitRouted(t, s, "hello", []string{"hello.ping", "hello.pong"})

	// A restart whose methods are refused (a core method name) keeps the
	// previous ones.
	setMethods(t, methods, "server.version")
	if err := syscall.Kill(hello.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refusal to be logged", func() bool {
		return strings.Contains(logs.String(), `restarted plugin's methods refused; its previous methods stay routed" plugin=hello`)
	})
	if got := routed(s)["hello"]; !slices.Equal(got, []string{"hello.ping", "hello.pong"}) {
		t.Errorf("after a refused re-registration: %v, want the previous methods", got)
	}

	infos := pluginControl{s}.PluginInfos()
	if len(infos) != 2 || infos[0].Name != "mydaemon" || infos[0].Role != "chain" || infos[1].Role != "methods" ||
		len(infos[1].Methods) != 2 || infos[1].Restarts != 2 {
		t.Errorf("admin plugins: %+v", infos)
	}
}

// waitRouted waits until plugin's routed methods are want.
func waitRouted(t *testing.T, s *Server, plugin string, want []string) {
	t.Helper()
	waitFor(t, "the methods of "+plugin+" to be routed again", func() bool { return slices.Equal(routed(s)[plugin], want) })
}
