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
	// ConfigKey is the configuration key that named Path, e.g.
	// "plugins.bitcoind.path", for error messages.
	ConfigKey string
	// Logger receives the plugin's log lines (with their levels) and the
	// host's messages about it; nil means slog.Default().
	Logger *slog.Logger
	// Restart says whether and how a crashed plugin is restarted (the zero
	// value: never).
	Restart RestartPolicy
	// Setup is how the plugin is configured, at launch and at every
	// restart (Launch uses it; Start leaves it to Plugin.Configure).
	Setup
}

// Setup is the configuration side of a plugin's start: what it is
// configured with and the hooks of its role. pluginhost knows no role: the
// core's role adapters put their checks and replays in Ready.
type Setup struct {
	// Config is the JSON object handed to Configure (nil sends "{}").
	Config []byte
	// Capability, when set, is a capability Describe must list for the
	// plugin to be accepted (a refusal otherwise).
	Capability string
	// Host, when set, is offered to the plugin as its host services: every
	// start (restarts included) serves it on that process's go-plugin
	// broker and configures the plugin through
	// hostside.MethodsClient.WithHost. nil offers none.
	Host sdk.Host
	// Ready, when set, runs at every start (the first and each restart)
	// once the new process is configured and before calls reach it: c is
	// the new process, d its description after Configure. An error fails
	// the start (for a restart: a crash, or for good when wrapped with
	// Refuse).
	Ready func(ctx context.Context, c Conn, d sdk.Description) error
	// OnRestart, when set, is called after each successful restart, once
	// the new process is configured and serving (Call reaches it), e.g. to
	// register the restarted plugin's methods again. It runs on the
	// supervisor's goroutine: the next crash is not handled until it
	// returns, and it must not call Shutdown or Kill (they wait for the
	// supervisor).
	OnRestart func(p *Plugin)
}

// Launch starts the plugin described by spec and configures it with
// spec.Setup: Start then Configure. On error no process is left running.
func Launch(ctx context.Context, spec Spec) (*Plugin, error) {
	p, err := Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := p.Configure(ctx, spec.Setup); err != nil {
		return nil, err
	}
	return p, nil
}

// Start starts the plugin's process, completes the go-plugin handshake and
// asks for its Description (Describe), without configuring it: the caller
// reads Describe (to pick the plugin's role from its capabilities) and then
// calls Configure, or Kill. spec.Setup is not used. Errors name the
// plugin, and for a missing binary the config key to set. Until Configure
// nothing supervises the process.
func Start(ctx context.Context, spec Spec) (*Plugin, error) {
	if spec.Name == "" {
		return nil, errors.New("pluginhost: Spec.Name is empty")
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = DefaultStartTimeout
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
		state: StateStarting,
		final: make(chan struct{}),
	}
	inst, err := p.spawnProcess(ctx)
	if err != nil {
		return nil, err
	}
	d, err := p.describe(ctx, inst)
	if err != nil {
		inst.kill()
		return nil, err
	}
	p.desc = d
	p.cur.Store(inst)
	p.startSupervisorDone() // Shutdown and Kill work before Configure
	return p, nil
}

// Configure completes a Start: it checks set.Capability, configures the
// plugin with set.Config (and set.Host), runs set.Ready, and from then on
// a supervisor watches the process and restarts it as Spec.Restart says,
// with the same Setup. An error kills the process and leaves the plugin
// failed. Call it once; the caller must call Shutdown (or Kill).
func (p *Plugin) Configure(ctx context.Context, set Setup) error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.spec.Setup = set
	inst := p.cur.Load()
	d, err := p.configure(ctx, inst, p.Describe())
	if err != nil {
		inst.kill()
		<-inst.proc.Done()
		p.fail(err)
		return err
	}
	p.mu.Lock()
	p.desc = d
	p.mu.Unlock()
	p.setState(StateRunning)
	p.startSupervisor()
	p.log.Info("plugin started", "pid", inst.pid, "path", inst.cmd.Path,
		"version", d.Version, "sdk_version", d.SDKVersion, "network", d.Network)
	return nil
}

// start launches one plugin process and configures it (a restart). The
// instance is not published: until the caller does, calls still see the
// old one.
func (p *Plugin) start(ctx context.Context) (*instance, sdk.Description, error) {
	inst, err := p.spawnProcess(ctx)
	if err != nil {
		return nil, sdk.Description{}, err
	}
	d, err := p.describe(ctx, inst)
	if err == nil {
		d, err = p.configure(ctx, inst, d)
	}
	if err != nil {
		inst.kill()
		return nil, sdk.Description{}, err
	}
	return inst, d, nil
}

// spawnProcess launches one plugin process (the binary is resolved and its
// checksum verified each time) and completes the go-plugin handshake.
func (p *Plugin) spawnProcess(ctx context.Context) (*instance, error) {
	spec := p.spec
	path, err := resolvePath(spec)
	if err != nil {
		return nil, err
	}
	secure, err := secureConfig(spec)
	if err != nil {
		return nil, refuse(err)
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
			return nil, fmt.Errorf("plugin %q: start: %w", spec.Name, ctx.Err())
		}
		return nil, startError(spec, path, err, lastLines.String())
	}
	inst.cmd, inst.stderr = cmd, lastLines
	return inst, nil
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
// every service kind (dispensing only builds client stubs: it does not
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

// versioned is what the host offers for negotiation: every service kind
// (chain backend, method provider, fee estimator).
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

// describe asks the new process for its Description. It talks to inst
// directly: inst is not published yet.
func (p *Plugin) describe(ctx context.Context, inst *instance) (sdk.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, p.spec.StartTimeout)
	defer cancel()
	d, err := inst.chain.Describe(ctx)
	if err != nil {
		return d, fmt.Errorf("plugin %q: describe: %w", p.name, err)
	}
	return d, nil
}

// configure checks the capability Setup requires against d (the first
// Describe), runs Configure (with the host services when Setup.Host is set:
// a new broker connection per process), Describe again (Configure fills in
// the chain fields) and Setup.Ready, and returns that description.
func (p *Plugin) configure(ctx context.Context, inst *instance, d sdk.Description) (sdk.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, p.spec.StartTimeout)
	defer cancel()
	if want := p.spec.Capability; want != "" && !slices.Contains(d.Capabilities, want) {
		return d, refuse(fmt.Errorf("plugin %q (%s %s) does not offer the %q capability (it lists %q)",
			p.name, d.Name, d.Version, want, d.Capabilities))
	}
	cfg := p.spec.Config
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	configure := inst.chain.Configure
	if p.spec.Host != nil {
		configure = func(ctx context.Context, cfg []byte) error {
			return inst.methods.WithHost(p.spec.Host).Configure(ctx, cfg)
		}
	}
	if err := configure(ctx, cfg); err != nil {
		return d, fmt.Errorf("plugin %q: configure: %w", p.name, err)
	}
	d, err := inst.chain.Describe(ctx)
	if err != nil {
		return d, fmt.Errorf("plugin %q: describe after configure: %w", p.name, err)
	}
	if ready := p.spec.Ready; ready != nil {
		if err := ready(ctx, inst.conn(), d); err != nil {
			return d, err
		}
	}
	return d, nil
}
