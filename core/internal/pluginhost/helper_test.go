package pluginhost

import (
	"context"
	"fmt"
	"log"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// helperEnv selects what the re-executed test binary does (TestMain).
const helperEnv = "AMBER_PLUGINHOST_HELPER"

// TestMain re-executes the test binary as a plugin (or as a host, for the
// orphan test) when helperEnv is set: the TestHelperProcess pattern.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
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
			HandshakeConfig:  sdk.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{99: {sdk.PluginChain: &sdk.ChainPlugin{Impl: fake}}},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	case "nowatchdog":
		// sdk.Serve without its parent watchdog: only the parent-death
		// signal can stop this plugin when its host dies.
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  sdk.Handshake,
			VersionedPlugins: sdk.VersionedPlugins(fake),
			GRPCServer:       plugin.DefaultGRPCServer,
		})
		return
	case "nocap":
		fake.Desc.Capabilities = nil
	case "badconfig":
		fake.Fail = map[string]error{"Configure": sdk.Errorf(sdk.KindInvalidArgument, "rpc.url: missing")}
	case "crash":
		fmt.Fprintln(os.Stderr, "helper: cannot open datadir")
		os.Exit(3)
	case "host":
		runHost()
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		os.Exit(2)
	}
	sdk.Serve(sdk.ServeOpts{ChainBackend: loudFake{fake}})
}

// runHost launches a "nowatchdog" plugin, prints its PID and waits to be killed.
func runHost() {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Launch(ctx, Spec{Name: "orphan", Path: exe, Env: []string{helperEnv + "=nowatchdog"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p.PID())
	time.Sleep(time.Minute)
}
