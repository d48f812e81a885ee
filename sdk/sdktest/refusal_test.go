package sdktest_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// harnessPlugin declares specs and answers every call with behave.
type harnessPlugin struct {
	sdk.BasicPlugin
	specs  []sdk.MethodSpec
	behave func(ctx context.Context) (json.RawMessage, error)
}

func (p *harnessPlugin) Methods(context.Context) ([]sdk.MethodSpec, error) { return p.specs, nil }

func (p *harnessPlugin) Call(ctx context.Context, _ string, _ json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	return p.behave(ctx)
}

func answer(context.Context) (json.RawMessage, error) { return json.RawMessage(`"ok"`), nil }

// waitCancel returns once its context is cancelled, as a slow but
// well-behaved handler does.
func waitCancel(ctx context.Context) (json.RawMessage, error) {
	<-ctx.Done()
	return nil, sdk.Errorf(sdk.KindUnavailable, "gave up: %v", ctx.Err())
}

// ignoreCancel never returns (the child process exits under it).
func ignoreCancel(context.Context) (json.RawMessage, error) { select {} }

func harness(behave func(context.Context) (json.RawMessage, error), names ...string) *harnessPlugin {
	p := &harnessPlugin{BasicPlugin: sdk.BasicPlugin{Name: "harness", Version: "0.1.0"}, behave: behave}
	for _, n := range names {
		p.specs = append(p.specs, sdk.MethodSpec{Name: n})
	}
	return p
}

const short = 50 * time.Millisecond

// childCases are the harness runs TestHarnessRefusals checks from the
// outside: each runs in a child test process, whose failure is the point.
var childCases = map[string]func(t *testing.T){
	"good/direct": func(t *testing.T) { sdktest.ConformMethods(t, harness(answer, "harness.a", "harness.b")) },
	"good/wire": func(t *testing.T) {
		sdktest.ConformMethods(t, sdktest.NewMethods(t, harness(answer, "harness.a", "harness.b")))
	},
	"slot/direct": func(t *testing.T) {
		sdktest.ConformMethods(t, harness(answer, "blockchain.transaction.bmm_merkle"))
	},
	"reserved/direct": func(t *testing.T) {
		sdktest.ConformMethods(t, harness(answer, "harness.a", "server.banner", "blockchain.transaction.bmm_merkle", "mempool.x"))
	},
	"reserved/wire": func(t *testing.T) {
		sdktest.ConformMethods(t, sdktest.NewMethods(t, harness(answer, "blockchain.scripthash.balance2")))
	},
	"reserved/named": func(t *testing.T) {
		sdktest.ConformMethods(t, harness(answer, "server.banner"), sdktest.WithPluginName("myhello"))
	},
	"slow/direct": func(t *testing.T) {
		sdktest.ConformMethods(t, harness(waitCancel, "harness.slow"), sdktest.WithRequestTimeout(short))
	},
	"slow/wire": func(t *testing.T) {
		sdktest.ConformMethods(t, sdktest.NewMethods(t, harness(waitCancel, "harness.slow")), sdktest.WithRequestTimeout(short))
	},
	"stuck/direct": func(t *testing.T) {
		sdktest.ConformMethods(t, harness(ignoreCancel, "harness.stuck"), sdktest.WithRequestTimeout(short))
	},
	"call/slow": func(t *testing.T) {
		sdktest.CallMethod(t, harness(waitCancel, "harness.slow"), "harness.slow", json.RawMessage(`[]`), sdk.SessionInfo{}, sdktest.WithRequestTimeout(short))
	},
	"call/default31s": func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			sleep := func(ctx context.Context) (json.RawMessage, error) {
				time.Sleep(30*time.Second + 500*time.Millisecond) // ignores ctx, returns within the grace
				return json.RawMessage(`1`), nil
			}
			sdktest.CallMethod(t, harness(sleep, "harness.sleep"), "harness.sleep", json.RawMessage(`[]`), sdk.SessionInfo{})
		})
	},
}

const childEnv = "SDKTEST_HARNESS_CHILD"

// TestHarnessChild is the child process of TestHarnessRefusals.
func TestHarnessChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("child process of TestHarnessRefusals, run only from it")
	}
	childCases[name](t)
}

// TestHarnessRefusals runs the harness on good and bad plugins in a child
// test process and checks that it fails exactly the bad ones, with
// amberd's reserved-namespace message or the request-timeout report, and
// that go-plugin's log reaches the output only of a failed test.
func TestHarnessRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child test processes")
	}
	for _, tc := range []struct {
		name   string
		pass   bool
		want   []string // in the child's output
		refuse []string // not in it
	}{
		{name: "good/direct", pass: true, refuse: []string{"[DEBUG]", "go-plugin log"}},
		{name: "good/wire", pass: true, refuse: []string{"[DEBUG]", "stdio: received EOF", "go-plugin log"}},
		{name: "slot/direct", pass: true},
		{name: "reserved/direct", want: []string{
			`amberd refuses this plugin at start-up: plugin "harness" declares method "server.banner" in the core's reserved namespace "server."`,
			`plugin "harness" declares method "mempool.x" in the core's reserved namespace "mempool."`,
		}, refuse: []string{`"blockchain.transaction.bmm_merkle" in`, `"harness.a" in`}},
		{name: "reserved/wire", want: []string{
			`plugin "harness" declares method "blockchain.scripthash.balance2" in the core's reserved namespace "blockchain."`,
			"sdktest: go-plugin log:",
		}},
		{name: "reserved/named", want: []string{`plugin "myhello" declares method "server.banner"`}},
		{name: "slow/direct", want: []string{`harness.slow outlived the request timeout (50ms): amberd would have answered the client -102 "server busy - request timed out"`}},
		{name: "slow/wire", want: []string{`harness.slow outlived the request timeout (50ms)`}},
		{name: "stuck/direct", want: []string{"harness.stuck outlived the request timeout (50ms) and was still running 1s after its context was cancelled"}},
		{name: "call/slow", want: []string{"harness.slow outlived the request timeout (50ms)"}},
		{name: "call/default31s", want: []string{"harness.sleep outlived the request timeout (30s): amberd would"}, refuse: []string{"still running"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if childCases[tc.name] == nil {
				t.Fatalf("no child case %q", tc.name)
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHarnessChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+tc.name)
			out, err := cmd.CombinedOutput()
			if passed := err == nil; passed != tc.pass {
				t.Errorf("child passed: %v, want %v (%v); output:\n%s", passed, tc.pass, err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, r := range tc.refuse {
				if strings.Contains(string(out), r) {
					t.Errorf("output has %q:\n%s", r, out)
				}
			}
		})
	}
}

// TestCallMethodWithinTimeout: a handler that answers within amberd's
// default request timeout (29 s of synctest's fake time) passes CallMethod
// with its answer.
func TestCallMethodWithinTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleep := func(ctx context.Context) (json.RawMessage, error) {
			time.Sleep(29 * time.Second)
			return json.RawMessage(`"late but in time"`), nil
		}
		res, err := sdktest.CallMethod(t, harness(sleep, "harness.sleep"), "harness.sleep", json.RawMessage(`[]`), sdk.SessionInfo{})
		if err != nil || string(res) != `"late but in time"` {
			t.Errorf("CallMethod = %s, %v", res, err)
		}
	})
}
