package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/coins"
	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// helperEnv selects what the re-executed test binary serves as a plugin:
// "chain" (sdktest's fake chain backend, which reports the config it got in
// DaemonInfo's Subversion), "chain+methods", "methods:FILE" (a method
// provider whose method names are read from FILE at each start, so that a
// test can change them for a restart), or "fees:FILE" (a method provider
// that also serves the fee-estimator role while FILE says "fees", read at
// each start).
const helperEnv = "AMBER_SERVER_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helperPlugin(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helperPlugin(mode string) {
	chain := configEcho{sdktest.NewFake(5)}
	switch {
	case mode == "chain":
		sdk.Serve(chain)
	case mode == "chain+methods":
		sdk.Serve(chainMethods{chain})
	case strings.HasPrefix(mode, "methods:"):
		sdk.Serve(fileMethods(strings.TrimPrefix(mode, "methods:")))
	case strings.HasPrefix(mode, "fees:"):
		b, err := os.ReadFile(strings.TrimPrefix(mode, "fees:"))
		if err == nil && strings.TrimSpace(string(b)) == "fees" {
			sdk.Serve(fixedFees{fileMethods("")})
		} else {
			sdk.Serve(fileMethods(""))
		}
	default:
		panic("unknown helper mode " + mode)
	}
}

// configEcho reports the JSON it was configured with in Subversion.
type configEcho struct{ *sdktest.Fake }

func (f configEcho) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	info, err := f.Fake.DaemonInfo(ctx)
	f.Lock()
	defer f.Unlock()
	info.Subversion = string(f.Config)
	return info, err
}

// fileMethods is a method provider whose methods (answering their own name)
// are listed in a file; "" means the one method helper.ping.
type fileMethods string

func (f fileMethods) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{Name: "helper-methods", Version: "1.0.0"}, nil
}

func (f fileMethods) Configure(context.Context, []byte) error { return nil }
func (f fileMethods) Shutdown(context.Context) error          { return nil }

func (f fileMethods) Methods(context.Context) ([]sdk.MethodSpec, error) {
	names := []string{"helper.ping"}
	if f != "" {
		b, err := os.ReadFile(string(f))
		if err != nil {
			return nil, err
		}
		names = strings.Fields(string(b))
	}
	var out []sdk.MethodSpec
	for _, n := range names {
		out = append(out, sdk.MethodSpec{Name: n, Cost: 0.1})
	}
	return out, nil
}

func (f fileMethods) Call(_ context.Context, method string, _ json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	return json.Marshal(method)
}

// chainMethods is the fake chain backend that also serves fileMethods("")
// (one process, two roles, the chain's lifecycle).
type chainMethods struct{ configEcho }

func (c chainMethods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return fileMethods("").Methods(ctx)
}

func (c chainMethods) Call(ctx context.Context, method string, params json.RawMessage, s sdk.SessionInfo) (json.RawMessage, error) {
	return fileMethods("").Call(ctx, method, params, s)
}

// Fee estimates of fixedFees.
const (
	helperFeeRate  = 0.0042
	helperRelayFee = 0.0007
)

// fixedFees is a method provider that also serves the fee-estimator role
// with fixed answers.
type fixedFees struct{ fileMethods }

func (fixedFees) FeeRate(context.Context, int, string) (float64, error) { return helperFeeRate, nil }
func (fixedFees) MinRelayFee(context.Context) (float64, error)          { return helperRelayFee, nil }

// helperBlock is a plugins.<name> block running the test binary in mode.
func helperBlock(t *testing.T, name, mode string) *config.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &config.Plugin{Name: name, Path: exe, Env: map[string]string{helperEnv: mode}, StartTimeout: 20 * time.Second}
}

// testServer is a Server with just what plugin start-up needs; it stops its
// plugins at the end of the test.
func testServer(t *testing.T, plugins map[string]*config.Plugin) *Server {
	t.Helper()
	genesis := sdktest.NewFake(5).Desc.GenesisHash
	cfg := &config.Config{
		DaemonURL: "user:pass@127.0.0.1:18443", Plugins: plugins,
		Network:            &coins.Network{Name: "regtest", GenesisHash: genesis},
		PluginRestartDelay: time.Millisecond, PluginRestartMaxDelay: time.Millisecond, PluginCrashLimit: 10,
	}
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	s.life, s.lifeStop = context.WithCancel(context.Background())
	t.Cleanup(s.closeBackends)
	return s
}

func ctx30(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
