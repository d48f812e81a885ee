package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk"
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
}

// Launch starts the plugin described by spec, completes the go-plugin
// handshake, checks with Describe that it serves the chain backend, and
// configures it with spec.Config. Errors name the plugin, and for a missing
// binary the config key to set. The caller must call Shutdown (or Kill).
func Launch(ctx context.Context, spec Spec) (*Plugin, error) {
	if spec.Name == "" {
		return nil, errors.New("pluginhost: Spec.Name is empty")
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = DefaultStartTimeout
	}
	logger := spec.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("plugin", spec.Name)
	path, err := resolvePath(spec)
	if err != nil {
		return nil, err
	}
	secure, err := secureConfig(spec)
	if err != nil {
		return nil, err
	}

	cmd := exec.Command(path, spec.Args...)
	cmd.Env = append([]string{}, spec.Env...)
	cmd.SysProcAttr = sysProcAttr()
	lastLines := &tail{max: 8}
	errLog := &stderrLog{l: logger}
	cp := &chainPlugin{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: {sdk.PluginChain: cp}},
		Cmd:              cmd,
		SecureConfig:     secure,
		Managed:          false,
		StartTimeout:     spec.StartTimeout,
		Stderr: &lineWriter{emit: func(line string) {
			lastLines.add(line)
			errLog.line(line)
		}},
		SyncStdout:       &lineWriter{emit: func(line string) { logger.Info(line, "stream", "stdout") }},
		SyncStderr:       &lineWriter{emit: func(line string) { logger.Warn(line, "stream", "stderr") }},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           &hclogAdapter{l: logger.With("component", "go-plugin")},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		GRPCDialOptions:  []grpc.DialOption{grpc.WithDefaultCallOptions(sdk.CallOptions()...)},
	})

	resc := make(chan startResult, 1)
	go startLocked(client, cp, resc)
	var res startResult
	select {
	case res = <-resc:
	case <-ctx.Done():
		go func() {
			if r := <-resc; r.err == nil {
				r.inst.kill()
			}
		}()
		return nil, fmt.Errorf("plugin %q: start: %w", spec.Name, ctx.Err())
	}
	if res.err != nil {
		return nil, startError(spec, path, res.err, lastLines.String())
	}

	p := &Plugin{name: spec.Name, log: logger}
	p.cur.Store(res.inst)
	if err := p.handshake(ctx, spec); err != nil {
		res.inst.kill()
		return nil, err
	}
	logger.Info("plugin started", "pid", res.inst.pid, "path", path,
		"version", p.desc.Version, "sdk_version", p.desc.SDKVersion, "network", p.desc.Network)
	return p, nil
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
func startLocked(client *plugin.Client, cp *chainPlugin, resc chan<- startResult) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	inst, err := connect(client, cp)
	if err != nil {
		client.Kill()
		resc <- startResult{err: err}
		return
	}
	resc <- startResult{inst: inst}
	<-inst.proc.Done()
}

// connect performs the handshake and dispenses the chain adapter.
func connect(client *plugin.Client, cp *chainPlugin) (*instance, error) {
	if _, err := client.Start(); err != nil {
		return nil, err
	}
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(sdk.PluginChain)
	if err != nil {
		return nil, err
	}
	chain, ok := raw.(sdk.ChainBackend)
	if !ok || cp.proc == nil {
		return nil, fmt.Errorf("dispensed %T, not an sdk.ChainBackend", raw)
	}
	pid, _ := strconv.Atoi(client.ID())
	return &instance{client: client, chain: chain, proc: cp.proc, pid: pid}, nil
}

// chainPlugin is sdk.ChainPlugin that also keeps go-plugin's process
// context (cancelled when the process exits).
type chainPlugin struct {
	sdk.ChainPlugin
	proc context.Context
}

func (c *chainPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	c.proc = ctx
	return c.ChainPlugin.GRPCClient(ctx, b, conn)
}

// handshake runs Describe, checks the capability, Configure, and caches the
// description (Describe again: Configure fills in the chain fields).
func (p *Plugin) handshake(ctx context.Context, spec Spec) error {
	ctx, cancel := context.WithTimeout(ctx, spec.StartTimeout)
	defer cancel()
	chain := p.Chain()
	d, err := chain.Describe(ctx)
	if err != nil {
		return fmt.Errorf("plugin %q: describe: %w", p.name, err)
	}
	if !slices.Contains(d.Capabilities, sdk.CapChainBackend) {
		return fmt.Errorf("plugin %q (%s %s) does not offer the %q capability (it lists %q)",
			p.name, d.Name, d.Version, sdk.CapChainBackend, d.Capabilities)
	}
	cfg := spec.Config
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	if err := chain.Configure(ctx, cfg); err != nil {
		return fmt.Errorf("plugin %q: configure: %w", p.name, err)
	}
	if d, err = chain.Describe(ctx); err != nil {
		return fmt.Errorf("plugin %q: describe after configure: %w", p.name, err)
	}
	p.desc = d
	return nil
}

// setHint is the "(set key)" suffix of launch errors.
func setHint(spec Spec) string {
	if spec.ConfigKey == "" {
		return ""
	}
	return " (set " + spec.ConfigKey + ")"
}

// resolvePath finds the plugin binary.
func resolvePath(spec Spec) (string, error) {
	if spec.Path == "" {
		return "", fmt.Errorf("plugin %q: no binary path configured%s", spec.Name, setHint(spec))
	}
	if filepath.Base(spec.Path) == spec.Path {
		p, err := exec.LookPath(spec.Path)
		if err != nil {
			return "", fmt.Errorf("plugin %q: binary %q not found in PATH%s", spec.Name, spec.Path, setHint(spec))
		}
		return p, nil
	}
	fi, err := os.Stat(spec.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("plugin %q: binary not found at %s%s", spec.Name, spec.Path, setHint(spec))
	case err != nil:
		return "", fmt.Errorf("plugin %q: %w%s", spec.Name, err, setHint(spec))
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("plugin %q: %s is not an executable file%s", spec.Name, spec.Path, setHint(spec))
	}
	return spec.Path, nil
}

// secureConfig turns the sha256 pin into go-plugin's SecureConfig.
func secureConfig(spec Spec) (*plugin.SecureConfig, error) {
	if spec.SHA256 == "" {
		return nil, nil
	}
	sum, err := hex.DecodeString(strings.TrimSpace(spec.SHA256))
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("plugin %q: sha256 pin %q is not 64 hex digits", spec.Name, spec.SHA256)
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, nil
}

var pluginVersionRE = regexp.MustCompile(`Plugin version: (\S+)`)

// startError explains a go-plugin start failure.
func startError(spec Spec, path string, err error, stderr string) error {
	msg := err.Error()
	var pathErr *fs.PathError
	withStderr := func(e error) error {
		if stderr == "" {
			return e
		}
		return fmt.Errorf("%w; plugin stderr: %s", e, stderr)
	}
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("plugin %q: checksum mismatch: sha256 of %s is %s, the configuration pins %s; refusing to start it",
			spec.Name, path, fileSHA256(path), strings.ToLower(strings.TrimSpace(spec.SHA256)))
	case strings.Contains(msg, "incompatible API version"):
		v := "unknown"
		if m := pluginVersionRE.FindStringSubmatch(msg); m != nil {
			v = strings.TrimRight(m[1], ",")
		}
		return fmt.Errorf("plugin %q: incompatible plugin protocol: the plugin speaks version %s, this host speaks version %d (SDK %s); rebuild the plugin against a matching SDK",
			spec.Name, v, sdk.ProtocolVersion, sdk.Version)
	case strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("plugin %q: incompatible go-plugin core protocol (%s) (%w)", spec.Name, firstLine(msg), err)
	case strings.Contains(msg, "Failed to read any lines") || strings.Contains(msg, "exited before we could connect"):
		return withStderr(fmt.Errorf("plugin %q: %s exited before the handshake", spec.Name, path))
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		line := strings.TrimSpace(strings.TrimPrefix(firstLine(msg), "Unrecognized remote plugin message:"))
		return withStderr(fmt.Errorf("plugin %q wrote to stdout before the handshake (%q): stdout is reserved for the go-plugin handshake; the plugin must call sdk.Serve before printing anything",
			spec.Name, line))
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return withStderr(fmt.Errorf("plugin %q: no handshake within %s", spec.Name, spec.StartTimeout))
	case errors.As(err, &pathErr) && pathErr.Op == "fork/exec":
		return fmt.Errorf("plugin %q: cannot execute %s: %w%s", spec.Name, path, pathErr.Err, setHint(spec))
	case strings.Contains(msg, "unsupported plugin protocol"):
		return fmt.Errorf("plugin %q: %w (Amber plugins must serve gRPC through sdk.Serve)", spec.Name, err)
	}
	return withStderr(fmt.Errorf("plugin %q: start %s: %w", spec.Name, path, err))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// fileSHA256 returns the hex sha256 of a file, or a note on why it could not.
func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}
