package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// helperEnv selects what the re-executed test binary does (TestMain).
const helperEnv = "AMBER_PLUGINHOST_HELPER"

// TestMain re-executes the test binary as a plugin (or as a host, for the
// orphan test) when helperEnv is set: the TestHelperProcess pattern.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if path, ok := strings.CutPrefix(mode, "file:"); ok {
			// The mode is read from a file at each start, so that a test
			// can change what a restarted plugin does.
			b, err := os.ReadFile(path)
			if err != nil {
				panic(err)
			}
			mode = strings.TrimSpace(string(b))
		}
		helperProcess(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// loudFake logs through the standard logger, which sdk.Serve routes to the
// plugin's hclog JSON stderr.
type loudFake struct{ *sdktest.Fake }

func (f loudFake) Configure(ctx context.Context, cfg []byte) error {
	log.Printf("[WARN] helper configured with %s", cfg)
	return f.Fake.Configure(ctx, cfg)
}

// DaemonInfo reports the last SetDaemonURLs in Subversion, for the test
// that a restarted plugin gets them again.
func (f loudFake) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	info, err := f.Fake.DaemonInfo(ctx)
	f.Lock()
	defer f.Unlock()
	if len(f.URLs) > 0 {
		info.Subversion = "urls=" + strings.Join(f.URLs, ",")
	}
	return info, err
}

func (f loudFake) Shutdown(ctx context.Context) error {
	log.Printf("[INFO] helper shutdown requested")
	return f.Fake.Shutdown(ctx)
}

func helperProcess(mode string) {
	fake := sdktest.NewFake(5)
	// Report what the environment held, to test that only Spec.Env arrives.
	fake.Desc.Version = "env:" + os.Getenv("AMBER_TEST_SECRET") + "/" + os.Getenv("PLUGIN_VAR")
	switch mode {
	case "serve":
	case "noise":
		fmt.Println("hello from a chatty plugin")
	case "v99":
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  hostside.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{99: mustSet(fake)},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	case "nowatchdog":
		// sdk.Serve without its parent watchdog: only the parent-death
		// signal can stop this plugin when its host dies.
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  hostside.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: mustSet(fake)},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	case "cookie", "cookiereport":
		// Built with another handshake cookie: go-plugin refuses to serve.
		if mode == "cookiereport" {
			fmt.Fprintln(os.Stderr, "magic cookie mismatch: this plugin expects "+hostside.MagicCookieKey+"=other-cookie")
		}
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: plugin.HandshakeConfig{ProtocolVersion: sdk.ProtocolVersion,
				MagicCookieKey: hostside.MagicCookieKey, MagicCookieValue: "other-cookie"},
			VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: mustSet(fake)},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	case "genesis2":
		fake.Desc.GenesisHash = sdk.Hash{0xee}
	case "big":
		fake.AddMempoolTx(bigTx())
	case "nocap":
		// A methods-only plugin: it lacks the chain-backend capability.
		serveMethods()
		return
	case "methods":
		serveMethods()
		return
	case "both":
		sdk.Serve(chainAndMethods{loudFake{fake}, newEchoMethods()})
		return
	case "badconfig":
		fake.Fail = map[string]error{"Configure": sdk.Errorf(sdk.KindInvalidArgument, "rpc.url: missing")}
	case "crash":
		fmt.Fprintln(os.Stderr, "helper: cannot open datadir")
		os.Exit(3)
	case "host":
		runHost(false)
		return
	case "hostrestart":
		runHost(true)
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		os.Exit(2)
	}
	sdk.Serve(loudFake{fake})
}

// bigTx is a transaction larger than gRPC's default 4 MiB message limit.
func bigTx() []byte { return bytes.Repeat([]byte{0xab}, 5<<20) }

// runHost launches a "nowatchdog" plugin, prints its PID and waits to be
// killed. With restart it first kills the plugin, waits for the supervisor
// to restart it and prints the restarted plugin's PID instead.
func runHost(restart bool) {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spec := Spec{Name: "orphan", Path: exe, Env: []string{helperEnv + "=nowatchdog"},
		Logger: slog.New(slog.DiscardHandler)}
	if restart {
		spec.Restart = RestartPolicy{Delay: time.Millisecond}
	}
	p, err := Launch(ctx, spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if restart {
		_ = syscall.Kill(p.PID(), syscall.SIGKILL)
		for p.Restarts() < 1 || p.PID() == 0 {
			if ctx.Err() != nil {
				fmt.Fprintln(os.Stderr, "no restart")
				os.Exit(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Println(p.PID())
	time.Sleep(time.Minute)
}

// mustSet is the plugin side of p as sdk.Serve builds it, for helpers that
// run go-plugin's Serve themselves.
func mustSet(p sdk.Lifecycle) plugin.PluginSet {
	set, err := sdktest.PluginSet(p)
	if err != nil {
		panic(err)
	}
	return set
}

// chainAndMethods serves a chain backend and a method provider in one
// process with the chain's lifecycle; the host services reach the method
// provider.
type chainAndMethods struct {
	sdk.ChainBackend
	methods *echoMethods
}

func (c chainAndMethods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return c.methods.Methods(ctx)
}

func (c chainAndMethods) Call(ctx context.Context, method string, params json.RawMessage, s sdk.SessionInfo) (json.RawMessage, error) {
	return c.methods.Call(ctx, method, params, s)
}

func (c chainAndMethods) SetHost(h sdk.Host) { c.methods.SetHost(h) }
