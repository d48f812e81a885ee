package amberproc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
	"github.com/amber-electrum/amber/core/regtest"
)

// Options configures Start. Amberd and DaemonURL are required.
type Options struct {
	Amberd    string // amberd binary
	Plugin    string // amber-bitcoind binary ("" = amberd's default: beside amberd)
	DaemonURL string // "user:pass@127.0.0.1:port"
	Net       string // NET; "regtest" if empty
	// DBDir is DB_DIRECTORY. If empty a fresh temporary directory is made
	// (and Remove deletes it); if set it must not exist yet or be empty.
	DBDir string
	// LogPath receives amberd's stdout and stderr; default amberd.log
	// beside the database directory's parent temp dir (see Proc.LogPath).
	LogPath string
	// Metrics, if set ("127.0.0.1:port" or "auto" for a free port), turns
	// on the metrics endpoint with Go's /debug/pprof/ profiles.
	Metrics string
	// Env overrides or adds configuration variables (an empty value
	// removes one).
	Env map[string]string
	// Reuse lets DBDir hold an existing index (a restart on a synced one).
	Reuse bool
}

// Proc is a running (or exited) amberd.
type Proc struct {
	cmd      *exec.Cmd
	started  time.Time
	dbDir    string
	tmpDir   string // made by Start, removed by Remove
	logPath  string
	tcp, rpc string
	metrics  string
	env      []string
	done     chan struct{}

	mu      sync.Mutex
	exitErr error
	admin   *rpcclient.Conn
}

// Start launches amberd. Started is the moment just before the process
// was started.
func Start(ctx context.Context, o Options) (*Proc, error) {
	if o.Amberd == "" || o.DaemonURL == "" {
		return nil, errors.New("amberproc: Amberd and DaemonURL are required")
	}
	p := &Proc{done: make(chan struct{})}
	ports, err := regtest.FreePorts(3)
	if err != nil {
		return nil, fmt.Errorf("amberproc: %w", err)
	}
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(ports[i]) }
	p.tcp, p.rpc = addr(0), addr(1)
	switch o.Metrics {
	case "":
	case "auto":
		p.metrics = addr(2)
	default:
		p.metrics = o.Metrics
	}
	if err := p.prepareDirs(o); err != nil {
		return nil, err
	}
	home, _ := os.UserHomeDir()
	p.env = Env(Config{Path: os.Getenv("PATH"), Home: home, Net: o.Net, DaemonURL: o.DaemonURL, DBDir: p.dbDir,
		TCPAddr: p.tcp, RPCAddr: p.rpc, Plugin: o.Plugin, Metrics: p.metrics, Extra: o.Env})
	out, err := os.Create(p.logPath)
	if err != nil {
		p.Remove()
		return nil, fmt.Errorf("amberproc: log file: %w", err)
	}
	p.cmd = exec.Command(o.Amberd)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// Own process group: the plugin child joins it, so Stop can reap both.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		out.Close()
		p.Remove()
		return nil, fmt.Errorf("amberproc: start %s: %w", o.Amberd, err)
	}
	go func() {
		err := p.cmd.Wait()
		out.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

func (p *Proc) prepareDirs(o Options) error {
	p.dbDir, p.logPath = o.DBDir, o.LogPath
	if p.dbDir == "" || p.logPath == "" {
		tmp, err := os.MkdirTemp("", "amberproc-")
		if err != nil {
			return fmt.Errorf("amberproc: %w", err)
		}
		p.tmpDir = tmp
		if p.dbDir == "" {
			p.dbDir = filepath.Join(tmp, "db")
		}
		if p.logPath == "" {
			p.logPath = filepath.Join(tmp, "amberd.log")
		}
	}
	if o.DBDir != "" && !o.Reuse {
		ents, err := os.ReadDir(o.DBDir)
		if err == nil && len(ents) > 0 {
			p.Remove()
			return fmt.Errorf("amberproc: database directory %s is not empty (a fresh one is needed)", o.DBDir)
		}
	}
	if err := os.MkdirAll(p.dbDir, 0o755); err != nil {
		p.Remove()
		return fmt.Errorf("amberproc: %w", err)
	}
	return nil
}

// PID is amberd's process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Started is when the process was started.
func (p *Proc) Started() time.Time { return p.started }

// TCPAddr, RPCAddr and MetricsAddr are the 127.0.0.1 addresses of the
// Electrum TCP service, the admin RPC and the metrics endpoint ("" if off).
func (p *Proc) TCPAddr() string     { return p.tcp }
func (p *Proc) RPCAddr() string     { return p.rpc }
func (p *Proc) MetricsAddr() string { return p.metrics }

// DBDir is the database directory, LogPath amberd's output file, Environ
// its whole environment.
func (p *Proc) DBDir() string     { return p.dbDir }
func (p *Proc) LogPath() string   { return p.logPath }
func (p *Proc) Environ() []string { return p.env }

// Done is closed once amberd exited; ExitErr then tells how.
func (p *Proc) Done() <-chan struct{} { return p.done }

// ExitErr is the process's exit error (nil while running or after a clean
// exit).
func (p *Proc) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// Stop sends SIGTERM and waits up to grace for amberd to exit (then
// SIGKILL), and kills whatever is left of its process group. It returns
// the exit error of an unclean exit.
func (p *Proc) Stop(grace time.Duration) error {
	p.mu.Lock()
	if p.admin != nil {
		p.admin.Close()
		p.admin = nil
	}
	p.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-p.done:
		err = p.ExitErr()
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		err = fmt.Errorf("amberproc: amberd did not exit within %v of SIGTERM; killed", grace)
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // an orphaned plugin
	return err
}

// Remove deletes the temporary directory Start made (database and log
// included, if they are in it).
func (p *Proc) Remove() {
	if p.tmpDir != "" {
		_ = os.RemoveAll(p.tmpDir)
	}
}

// Tail is the end of amberd's output, up to n bytes.
func (p *Proc) Tail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > n {
		b = append([]byte("…"), b[len(b)-n:]...)
	}
	return string(b)
}

// Info is what a benchmark needs of the admin RPC's getinfo.
type Info struct {
	PID          int
	DBHeight     int64
	DaemonHeight int64
	Synced       bool // index caught up with the daemon and first mempool round done
	Halted       bool
	Error        string
	Plugins      []PluginInfo
}

// PluginInfo is one plugin of getinfo.
type PluginInfo struct {
	Name         string   `json:"name"`
	Capabilities []string `json:"capabilities"`
	PID          int      `json:"pid"`
	State        string   `json:"state"`
}

// ParseInfo decodes a getinfo result.
func ParseInfo(raw json.RawMessage) (Info, error) {
	var r struct {
		PID          int   `json:"pid"`
		DBHeight     int64 `json:"db height"`
		DaemonHeight int64 `json:"daemon height"`
		Amber        struct {
			Sync struct {
				Synced bool   `json:"synced"`
				Halted bool   `json:"halted"`
				Error  string `json:"error"`
			} `json:"sync"`
			Plugins []PluginInfo `json:"plugins"`
		} `json:"amber"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Info{}, fmt.Errorf("amberproc: getinfo: %w", err)
	}
	return Info{PID: r.PID, DBHeight: r.DBHeight, DaemonHeight: r.DaemonHeight, Synced: r.Amber.Sync.Synced,
		Halted: r.Amber.Sync.Halted, Error: r.Amber.Sync.Error, Plugins: r.Amber.Plugins}, nil
}

// ChainPlugin is the pid of the plugin that declares the chain-backend
// capability (amberd gives it the chain role, whatever its config name; one
// that reports no capabilities: the plugin named "bitcoind"), or of the only
// plugin; 0 if none.
func (i Info) ChainPlugin() int {
	for _, pl := range i.Plugins {
		if slices.Contains(pl.Capabilities, "chain-backend") {
			return pl.PID
		}
	}
	for _, pl := range i.Plugins {
		if len(pl.Capabilities) == 0 && pl.Name == "bitcoind" {
			return pl.PID
		}
	}
	if len(i.Plugins) == 1 {
		return i.Plugins[0].PID
	}
	return 0
}

// ErrExited is returned (wrapped) by Info once amberd has exited.
var ErrExited = errors.New("amberproc: amberd exited")

// Info calls getinfo on the admin RPC (one connection, kept and redialled
// when lost). It fails at once if amberd has exited.
func (p *Proc) Info(ctx context.Context) (Info, error) {
	select {
	case <-p.done:
		return Info{}, fmt.Errorf("%w (%v)", ErrExited, p.ExitErr())
	default:
	}
	p.mu.Lock()
	c := p.admin
	p.mu.Unlock()
	if c == nil {
		var err error
		if c, err = rpcclient.Dial(ctx, p.rpc); err != nil {
			return Info{}, fmt.Errorf("amberproc: admin RPC: %w", err)
		}
		p.mu.Lock()
		p.admin = c
		p.mu.Unlock()
	}
	raw, err := c.Call(ctx, "getinfo")
	if err != nil {
		c.Close()
		p.mu.Lock()
		if p.admin == c {
			p.admin = nil
		}
		p.mu.Unlock()
		return Info{}, fmt.Errorf("amberproc: getinfo: %w", err)
	}
	return ParseInfo(raw)
}
