package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// Greeter is a method provider: BasicPlugin answers the lifecycle calls
// and keeps the host services amberd offers.
type Greeter struct {
	sdk.BasicPlugin
}

// Methods declares greeter.hello(name).
func (g *Greeter) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{{Name: "greeter.hello", MinArgs: 1, MaxArgs: 1, ParamNames: []string{"name"}, Cost: 0.1}}, nil
}

// Call answers greeter.hello.
func (g *Greeter) Call(_ context.Context, method string, params json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	var args []string
	if err := json.Unmarshal(params, &args); err != nil {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "name must be a string")
	}
	return json.Marshal("hello, " + args[0])
}

// Serve runs the plugin: the whole of a plugin's main. It needs the
// process amberd starts (the handshake cookie in its environment), so this
// example is compiled, not run; sdktest.NewPlugin runs the same serving
// code inside go test.
func ExampleServe() {
	sdk.Serve(&Greeter{BasicPlugin: sdk.BasicPlugin{Name: "greeter", Version: "1.0.0"}})
}

// A method provider answers Call with JSON, or with an *sdk.Error whose
// kind amberd turns into the client's error code.
func ExampleMethodProvider() {
	p := &Greeter{BasicPlugin: sdk.BasicPlugin{Name: "greeter", Version: "1.0.0"}}
	res, err := p.Call(context.Background(), "greeter.hello", json.RawMessage(`["amber"]`), sdk.SessionInfo{})
	fmt.Println(string(res), err)
	_, err = p.Call(context.Background(), "greeter.hello", json.RawMessage(`[42]`), sdk.SessionInfo{})
	fmt.Println(sdk.KindOf(err), err)
	// Output:
	// "hello, amber" <nil>
	// invalid-argument name must be a string
}

// FlatFees is a fee estimator: amberd answers blockchain.estimatefee and
// blockchain.relayfee through it when it is loaded.
type FlatFees struct {
	sdk.BasicPlugin
}

// FeeRate implements sdk.FeeEstimator: 10 sat/vB for the next block, 2
// otherwise, in BTC per kB.
func (f *FlatFees) FeeRate(_ context.Context, blocks int, _ string) (float64, error) {
	if blocks <= 1 {
		return 0.0001, nil
	}
	return 0.00002, nil
}

// MinRelayFee implements sdk.FeeEstimator.
func (f *FlatFees) MinRelayFee(context.Context) (float64, error) { return 0.00001, nil }

func ExampleFeeEstimator() {
	var p sdk.Lifecycle = &FlatFees{BasicPlugin: sdk.BasicPlugin{Name: "flatfees", Version: "1.0.0"}}
	fe := p.(sdk.FeeEstimator) // sdk.Serve(p) serves this role and lists sdk.CapFeeEstimator
	next, _ := fe.FeeRate(context.Background(), 1, "")
	later, _ := fe.FeeRate(context.Background(), 6, "ECONOMICAL")
	relay, _ := fe.MinRelayFee(context.Background())
	fmt.Println(next, later, relay)
	// Output: 0.0001 2e-05 1e-05
}

// Errors carry a Kind across the wire; amberd maps it to the Electrum
// error the client sees (docs/methods.md).
func ExampleErrorf() {
	cause := errors.New("connection refused")
	err := sdk.Errorf(sdk.KindUnavailable, "daemon at %s: %w", "127.0.0.1:8332", cause)
	fmt.Println(err)
	fmt.Println(sdk.KindOf(err), errors.Is(err, cause))
	fmt.Println(sdk.KindOf(fmt.Errorf("wrapped: %w", err)))
	fmt.Println(sdk.DaemonError(-25, "bad-txns-inputs-missingorspent"))
	// Output:
	// daemon at 127.0.0.1:8332: connection refused
	// unavailable true
	// unavailable
	// daemon error: {'code': -25, 'message': 'bad-txns-inputs-missingorspent'}
}
