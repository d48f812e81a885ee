package regtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/amber-electrum/amber/core/testenv"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg"
)

// NodeOptions configures StartNode. The zero value starts a node in a
// temporary directory on a free 127.0.0.1 port that mines to the harness
// key's P2PKH address.
type NodeOptions struct {
	Dir     string // data and log directory; a temporary one (removed by Stop) if ""
	RPCPort int    // 0: pick a free 127.0.0.1 port
	// RPC credentials; default user "amber" and a random password (so a
	// start-up probe can never mistake another node on a reused port for
	// this one).
	User, Pass string
	// MiningAddr is btcd's --miningaddr, which "generate" pays. Default: the
	// harness key's P2PKH address (HarnessKey), which every Wallet can spend.
	MiningAddr string
	// BtcdPath is the btcd binary; default testenv.FindBtcd.
	BtcdPath string
	// Listen makes the node accept peers on 127.0.0.1:P2PPort (0: a free
	// port); otherwise it runs with --nolisten.
	Listen  bool
	P2PPort int
	// Connect lists peers (host:port on 127.0.0.1) to connect to, and only
	// to (--connect).
	Connect []string
	// ExtraArgs are appended to the command line.
	ExtraArgs []string
	// Env adds KEY=VALUE variables to btcd's environment (e.g. GOGC).
	Env []string
	// StartTimeout bounds the wait for the RPC server; default 60s.
	StartTimeout time.Duration
	Logger       *slog.Logger // nil: discard
}

// Node is a running btcd regtest process. Its embedded Client talks to its
// RPC server. Stop it when done.
type Node struct {
	*Client
	opts   NodeOptions
	dir    string
	ownDir bool
	log    *slog.Logger

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	tail    *tailBuffer
	stopped bool
	removed bool // Stop removed the temporary directory
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort() (int, error) {
	ps, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ps[0], nil
}

// FreePorts returns n distinct TCP ports that were free on 127.0.0.1 a
// moment ago. Every port is held until all n are chosen, so two of them
// are never the same (calling FreePort n times may return one port twice).
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// StartNode starts btcd in regtest mode and waits until its RPC server
// answers. ctx bounds only the start-up; the node runs until Stop.
func StartNode(ctx context.Context, opts NodeOptions) (*Node, error) {
	n := &Node{opts: opts, log: opts.Logger}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.opts.User == "" {
		n.opts.User = "amber"
	}
	if n.opts.Pass == "" {
		var b [12]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		n.opts.Pass = hex.EncodeToString(b[:])
	}
	if n.opts.MiningAddr == "" {
		addr, err := HarnessKey(&chaincfg.RegressionNetParams).Address(P2PKH)
		if err != nil {
			return nil, err
		}
		n.opts.MiningAddr = addr.EncodeAddress()
	}
	if n.opts.BtcdPath == "" {
		p, err := testenv.FindBtcd()
		if err != nil {
			return nil, err
		}
		n.opts.BtcdPath = p
	}
	if n.opts.StartTimeout <= 0 {
		n.opts.StartTimeout = 60 * time.Second
	}
	n.dir = opts.Dir
	if n.dir == "" {
		d, err := os.MkdirTemp("", "amber-btcd-")
		if err != nil {
			return nil, fmt.Errorf("btcd dir: %w", err)
		}
		n.dir, n.ownDir = d, true
	}
	if err := n.start(ctx); err != nil {
		if n.ownDir {
			_ = os.RemoveAll(n.dir)
		}
		return nil, err
	}
	return n, nil
}

// StartConnectedNode starts a second node that connects to peer (which must
// have been started with Listen) and listens itself, for tests that need two
// nodes. opts.Connect is replaced.
func StartConnectedNode(ctx context.Context, peer *Node, opts NodeOptions) (*Node, error) {
	addr := peer.P2PAddr()
	if addr == "" {
		return nil, errors.New("peer node does not listen (start it with Listen: true)")
	}
	opts.Listen = true
	opts.Connect = []string{addr}
	return StartNode(ctx, opts)
}

// start launches the process, retrying with new ports when they were picked
// automatically and the process died during start-up (a port race).
func (n *Node) start(ctx context.Context) error {
	autoRPC, autoP2P := n.opts.RPCPort == 0, n.opts.Listen && n.opts.P2PPort == 0
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		ports, perr := FreePorts(2)
		if perr != nil {
			return perr
		}
		if autoRPC {
			n.opts.RPCPort = ports[0]
		}
		if autoP2P {
			n.opts.P2PPort = ports[1]
		}
		err = n.startOnce(ctx)
		if err == nil || ctx.Err() != nil || (!autoRPC && !autoP2P) || !errors.Is(err, errExited) {
			return err
		}
		n.log.Warn("btcd exited during start-up; retrying with new ports", "err", err)
	}
	return err
}

var errExited = errors.New("btcd exited")

func (n *Node) args() []string {
	a := []string{
		"--configfile=" + filepath.Join(n.dir, "btcd.conf"),
		"--regtest",
		"--datadir=" + filepath.Join(n.dir, "data"),
		"--logdir=" + filepath.Join(n.dir, "logs"),
		"--nodnsseed", "--noonion", "--notls",
		"--rpclisten=127.0.0.1:" + strconv.Itoa(n.opts.RPCPort),
		"--rpcuser=" + n.opts.User, "--rpcpass=" + n.opts.Pass,
		"--rpcmaxclients=200", "--txindex",
		"--miningaddr=" + n.opts.MiningAddr,
	}
	if n.opts.Listen {
		a = append(a, "--listen=127.0.0.1:"+strconv.Itoa(n.opts.P2PPort))
	} else {
		a = append(a, "--nolisten")
	}
	if n.opts.Listen || len(n.opts.Connect) > 0 {
		// Relay transactions at once (default trickle: 10s) and never ban
		// a test peer for misbehaviour.
		a = append(a, "--trickleinterval=50ms", "--nobanning")
	}
	for _, c := range n.opts.Connect {
		a = append(a, "--connect="+c)
	}
	return append(a, n.opts.ExtraArgs...)
}

func (n *Node) startOnce(ctx context.Context) error {
	// An empty config file keeps btcd away from ~/.btcd/btcd.conf.
	if err := os.WriteFile(filepath.Join(n.dir, "btcd.conf"), nil, 0o600); err != nil {
		return fmt.Errorf("btcd config: %w", err)
	}
	out, err := os.OpenFile(filepath.Join(n.dir, "btcd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("btcd output file: %w", err)
	}
	tail := &tailBuffer{max: 4096}
	cmd := exec.Command(n.opts.BtcdPath, n.args()...)
	if len(n.opts.Env) > 0 {
		cmd.Env = append(os.Environ(), n.opts.Env...)
	}
	cmd.Stdout = io.MultiWriter(out, tail)
	cmd.Stderr = cmd.Stdout
	// Same process group as the caller (Ctrl-C reaches btcd too); on Linux
	// btcd also gets SIGTERM if the calling process dies.
	cmd.SysProcAttr = sysProcAttr()
	n.log.Debug("starting btcd", "path", n.opts.BtcdPath, "args", cmd.Args[1:])
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start btcd: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	n.mu.Lock()
	n.cmd, n.done, n.tail, n.stopped = cmd, done, tail, false
	n.mu.Unlock()
	if n.Client == nil || n.Client.HostPort() != "127.0.0.1:"+strconv.Itoa(n.opts.RPCPort) {
		n.Client = NewClient("127.0.0.1:"+strconv.Itoa(n.opts.RPCPort), n.opts.User, n.opts.Pass)
	}

	ctx, cancel := context.WithTimeout(ctx, n.opts.StartTimeout)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := n.GetBlockCount(cctx)
		ccancel()
		if err == nil {
			n.log.Info("btcd started", "rpc", n.HostPort(), "p2p", n.P2PAddr(), "dir", n.dir, "pid", cmd.Process.Pid)
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("%w during start-up (%s): %s", errExited, cmd.ProcessState, tail.String())
		case <-ctx.Done():
			n.stopProcess()
			return fmt.Errorf("btcd RPC on %s did not answer: %w (last error: %v)", n.HostPort(), ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RPCPort returns the RPC port on 127.0.0.1.
func (n *Node) RPCPort() int { return n.opts.RPCPort }

// P2PAddr returns "127.0.0.1:port" of the peer listener, or "" if the node
// does not listen.
func (n *Node) P2PAddr() string {
	if !n.opts.Listen {
		return ""
	}
	return "127.0.0.1:" + strconv.Itoa(n.opts.P2PPort)
}

// Dir returns the node's data directory.
func (n *Node) Dir() string { return n.dir }

// MiningAddr returns the address "generate" pays.
func (n *Node) MiningAddr() string { return n.opts.MiningAddr }

// Output returns the last few kB of btcd's stdout/stderr.
func (n *Node) Output() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.tail == nil {
		return ""
	}
	return n.tail.String()
}

// stopProcess sends SIGTERM, waits up to 15s, then kills the process.
func (n *Node) stopProcess() {
	n.mu.Lock()
	cmd, done, stopped := n.cmd, n.done, n.stopped
	n.stopped = true
	n.mu.Unlock()
	if cmd == nil || stopped {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		n.log.Warn("btcd did not stop on SIGTERM; killing", "pid", cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-done
	}
}

// Stop stops the process (SIGTERM, then SIGKILL after 15s) and removes the
// directory if StartNode created it. It is idempotent and safe to call from
// several goroutines.
func (n *Node) Stop() {
	n.stopProcess()
	n.mu.Lock()
	own := n.ownDir && !n.removed
	n.removed = n.removed || own
	n.mu.Unlock()
	if own {
		_ = os.RemoveAll(n.dir)
	}
}

// Restart stops and starts the process with the same directory and ports.
//
// btcd deletes its regtest database on every start, so the restarted node is
// back at the genesis block: the chain, mempool and txindex are LOST. A
// Wallet that tracked the old chain must Reset (Sync does it automatically).
func (n *Node) Restart(ctx context.Context) error {
	n.mu.Lock()
	removed := n.removed
	n.mu.Unlock()
	if removed {
		return errors.New("restart: node was stopped and its directory removed")
	}
	n.stopProcess()
	return n.startOnce(ctx)
}

// WaitForTip polls until the node's best block is hash.
func (n *Node) WaitForTip(ctx context.Context, hash sdk.Hash) error {
	for {
		best, err := n.GetBestBlockHash(ctx)
		if err == nil && best == hash {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for tip %s (have %s, err %v): %w", hash, best, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
