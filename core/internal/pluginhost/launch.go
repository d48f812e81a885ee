package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// DefaultStartTimeout bounds the handshake, Describe and Configure when
// Spec.StartTimeout is zero.
const DefaultStartTimeout = time.Minute

// Spec says how to launch one plugin.
type Spec struct {
	// Name is the plugin's configured name, e.g. "bitcoind" (required).
	Name string
	// Path is the plugin binary. A bare name is looked up in PATH.
	Path string
	// SHA256 optionally pins the binary's checksum (64 hex digits).
	SHA256 string
	// Args are the plugin's command-line arguments.
	Args []string
	// Env is the plugin's whole environment: the host's own environment is
	// not passed on (go-plugin adds its handshake variables).
	Env []string
	// StartTimeout bounds the handshake, Describe and Configure (default
	// DefaultStartTimeout).
	StartTimeout time.Duration
	// Config is the JSON object handed to Configure (nil sends "{}").
	Config []byte
	// ConfigKey is the configuration key that named Path, e.g.
	// "plugins.bitcoind.path", for error messages.
	ConfigKey string
	// Logger receives the plugin's log lines (with their levels) and the
	// host's messages about it; nil means slog.Default().
	Logger *slog.Logger
	// Restart says whether and how a crashed plugin is restarted (the zero
	// value: never).
	Restart RestartPolicy
	// Clock drives the restart backoff and the crash window; nil means the
	// real clock.
	Clock Clock
	// Capability is the capability Describe must list for the plugin to be
	// accepted (default sdk.CapChainBackend; sdk.CapMethodProvider for a
	// method provider).
	Capability string
	// Host, when set, is offered to the plugin as its host services: every
	// start (restarts included) serves it on that process's go-plugin
	// broker and configures the plugin through
	// hostside.MethodsClient.WithHost. nil offers none.
	Host sdk.Host
	// OnRestart, when set, is called after each successful restart, once
	// the new process is configured and serving (Chain and Methods reach
	// it), e.g. to register the restarted plugin's methods again. It runs
	// on the supervisor's goroutine: the next crash is not handled until it
	// returns, and it must not call Shutdown or Kill (they wait for the
	// supervisor).
	OnRestart func(p *Plugin)
}

// Launch starts the plugin described by spec, completes the go-plugin
// handshake, checks with Describe that it offers spec.Capability, and
// configures it with spec.Config (and spec.Host). Errors name the plugin, and for a missing
// binary the config key to set. From then on a supervisor watches the
// process and restarts it as spec.Restart says. The caller must call
// Shutdown (or Kill).
func Launch(ctx context.Context, spec Spec) (*Plugin, error) {
	if spec.Name == "" {
		return nil, errors.New("pluginhost: Spec.Name is empty")
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = DefaultStartTimeout
	}
	if spec.Capability == "" {
		spec.Capability = sdk.CapChainBackend
	}
	if _, err := secureConfig(spec); err != nil {
		return nil, err
	}
	logger := spec.Logger
	if logger == nil {
		logger = slog.Default()
	}
	p := &Plugin{
		name:  spec.Name,
		spec:  spec,
		log:   logger.With("plugin", spec.Name),
		clock: spec.Clock,
		state: StateStarting,
		final: make(chan struct{}),
	}
	if p.clock == nil {
		p.clock = realClock{}
	}
	p.chain = &hostChain{p: p}
	p.methods = &hostMethods{p: p, Lifecycle: p.chain}
	p.fees = &hostFees{p: p, Lifecycle: p.chain}
	inst, d, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	p.desc, p.genesis, p.state = d, d.GenesisHash, StateRunning
	p.cur.Store(inst)
	p.startSupervisor()
	p.log.Info("plugin started", "pid", inst.pid, "path", inst.cmd.Path,
		"version", d.Version, "sdk_version", d.SDKVersion, "network", d.Network)
	return p, nil
}

// start launches one plugin process (the binary is resolved and its
// checksum verified each time) and runs the handshake on it. The instance
// is not published: until the caller does, calls still see the old one.
func (p *Plugin) start(ctx context.Context) (*instance, sdk.Description, error) {
	spec := p.spec
	path, err := resolvePath(spec)
	if err != nil {
		return nil, sdk.Description{}, err
	}
	secure, err := secureConfig(spec)
	if err != nil {
		return nil, sdk.Description{}, refuse(err)
	}
	p.mu.Lock()
	p.path = path
	p.mu.Unlock()
	cmd := exec.Command(path, spec.Args...)
	cmd.Env = append([]string{}, spec.Env...)
	cmd.SysProcAttr = sysProcAttr()
	lastLines := &tail{max: 8}
	p.lastStderr = lastLines
	errLog := &stderrLog{l: p.log}
	sets := newPluginSets()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hostside.Handshake,
		VersionedPlugins: sets.versioned(),
		Cmd:              cmd,
		SecureConfig:     secure,
		Managed:          false,
		StartTimeout:     spec.StartTimeout,
		Stderr: &lineWriter{emit: func(line string) {
			lastLines.add(line)
			errLog.line(line)
		}},
		SyncStdout:       &lineWriter{emit: func(line string) { p.log.Info(line, "stream", "stdout") }},
		SyncStderr:       &lineWriter{emit: func(line string) { p.log.Warn(line, "stream", "stderr") }},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           &hclogAdapter{l: p.log.With("component", "go-plugin")},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		// The host side of the message-size limits (sdk.MaxMessageSize).
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(hostside.CallOptions()...)},
	})
	inst, err := p.spawn(ctx, client, sets)
	if err != nil {
		if ctx.Err() != nil {
			return nil, sdk.Description{}, fmt.Errorf("plugin %q: start: %w", spec.Name, ctx.Err())
		}
		return nil, sdk.Description{}, startError(spec, path, err, lastLines.String())
	}
	inst.cmd, inst.stderr = cmd, lastLines
	d, err := p.handshake(ctx, inst)
	if err != nil {
		inst.kill()
		return nil, sdk.Description{}, err
	}
	return inst, d, nil
}

// spawn runs startLocked and waits for it within ctx. A start abandoned
// because ctx ended is cleaned up in the background (p.starts tracks it).
func (p *Plugin) spawn(ctx context.Context, client *plugin.Client, sets *pluginSets) (*instance, error) {
	resc := make(chan startResult, 1)
	p.starts.Add(1)
	go startLocked(client, sets, resc)
	select {
	case res := <-resc:
		p.starts.Done()
		return res.inst, res.err
	case <-ctx.Done():
		go func() {
			defer p.starts.Done()
			if r := <-resc; r.err == nil {
				r.inst.kill()
			}
		}()
		return nil, ctx.Err()
	}
}

// startResult is what startLocked hands back.
type startResult struct {
	inst *instance
	err  error
}

// startLocked starts the plugin process from a goroutine locked to its OS
// thread and keeps that thread alive until the process exits: the plugin's
// parent-death signal fires when the thread that forked it exits, so an
// ordinary goroutine (whose thread Go may retire) would get it killed at
// random. On failure the process is cleaned up before the result is sent.
func startLocked(client *plugin.Client, sets *pluginSets, resc chan<- startResult) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	inst, err := connect(client, sets)
	if err != nil {
		client.Kill()
		resc <- startResult{err: err}
		return
	}
	resc <- startResult{inst: inst}
	<-inst.proc.Done()
}

// connect performs the go-plugin handshake and dispenses the adapters of
// both service kinds (dispensing only builds client stubs: it does not
// contact the plugin, so a plugin that serves one kind is fine).
func connect(client *plugin.Client, sets *pluginSets) (*instance, error) {
	if _, err := client.Start(); err != nil {
		return nil, err
	}
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(hostside.PluginChain)
	if err != nil {
		return nil, err
	}
	chain, ok := raw.(sdk.ChainBackend)
	if !ok || sets.chain.proc == nil {
		return nil, fmt.Errorf("dispensed %T, not an sdk.ChainBackend", raw)
	}
	raw, err = rpc.Dispense(hostside.PluginMethods)
	if err != nil {
		return nil, err
	}
	methods, ok := raw.(*hostside.MethodsClient)
	if !ok || sets.methods.proc == nil {
		return nil, fmt.Errorf("dispensed %T, not an *hostside.MethodsClient", raw)
	}
	raw, err = rpc.Dispense(hostside.PluginFees)
	if err != nil {
		return nil, err
	}
	fees, ok := raw.(*hostside.FeeClient)
	if !ok {
		return nil, fmt.Errorf("dispensed %T, not a *hostside.FeeClient", raw)
	}
	pid, _ := strconv.Atoi(client.ID())
	return &instance{client: client, chain: chain, methods: methods, fees: fees, proc: sets.chain.proc, pid: pid}, nil
}

// pluginSets are the host-side go-plugin plugins of one process start; each
// keeps go-plugin's process context (cancelled when the process exits).
type pluginSets struct {
	chain   *chainPlugin
	methods *methodsPlugin
}

func newPluginSets() *pluginSets {
	return &pluginSets{chain: &chainPlugin{}, methods: &methodsPlugin{}}
}

// versioned is what the host offers for negotiation: both service kinds.
func (s *pluginSets) versioned() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{sdk.ProtocolVersion: {
		hostside.PluginChain:   s.chain,
		hostside.PluginMethods: s.methods,
		hostside.PluginFees:    &hostside.FeesPlugin{},
	}}
}

// chainPlugin is hostside.ChainPlugin that also keeps the process context.
type chainPlugin struct {
	hostside.ChainPlugin
	proc context.Context
}

func (c *chainPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	c.proc = ctx
	return c.ChainPlugin.GRPCClient(ctx, b, conn)
}

// methodsPlugin is hostside.MethodsPlugin that also keeps the process context.
type methodsPlugin struct {
	hostside.MethodsPlugin
	proc context.Context
}

func (m *methodsPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	m.proc = ctx
	return m.MethodsPlugin.GRPCClient(ctx, b, conn)
}

// handshake runs Describe, checks the capability, Configure (with the host
// services when Spec.Host is set: a new broker connection per process),
// replays the last SetDaemonURLs (after a restart) and returns the
// description (Describe again: Configure fills in the chain fields). It
// talks to inst directly: inst is not published yet.
func (p *Plugin) handshake(ctx context.Context, inst *instance) (sdk.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, p.spec.StartTimeout)
	defer cancel()
	chain := inst.chain
	d, err := chain.Describe(ctx)
	if err != nil {
		return d, fmt.Errorf("plugin %q: describe: %w", p.name, err)
	}
	if want := p.spec.Capability; !slices.Contains(d.Capabilities, want) {
		return d, refuse(fmt.Errorf("plugin %q (%s %s) does not offer the %q capability (it lists %q)",
			p.name, d.Name, d.Version, want, d.Capabilities))
	}
	cfg := p.spec.Config
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	configure := chain.Configure
	if p.spec.Host != nil {
		configure = func(ctx context.Context, cfg []byte) error {
			return inst.methods.WithHost(p.spec.Host).Configure(ctx, cfg)
		}
	}
	if err := configure(ctx, cfg); err != nil {
		return d, fmt.Errorf("plugin %q: configure: %w", p.name, err)
	}
	if urls := p.daemonURLs(); urls != nil {
		if err := chain.SetDaemonURLs(ctx, urls); err != nil {
			return d, fmt.Errorf("plugin %q: set daemon URLs: %w", p.name, err)
		}
	}
	if d, err = chain.Describe(ctx); err != nil {
		return d, fmt.Errorf("plugin %q: describe after configure: %w", p.name, err)
	}
	return d, nil
}
