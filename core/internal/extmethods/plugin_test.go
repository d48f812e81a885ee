package extmethods

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/sdk"
)

// calc is a method-provider plugin for the tests.
type calc struct {
	sdk.BasicPlugin
	specs []sdk.MethodSpec
}

func newCalc() *calc {
	return &calc{BasicPlugin: sdk.BasicPlugin{Name: "calc", Version: "1"}, specs: []sdk.MethodSpec{
		{Name: "calc.add", MinArgs: 2, MaxArgs: 3, ParamNames: []string{"a", "b", "c"}, Cost: 2.5},
		{Name: "calc.echo", MinArgs: 0, MaxArgs: 3},
		{Name: "calc.new", MinProtocol: "1.4.2"},
		{Name: "calc.fail", MinArgs: 1, MaxArgs: 1},
	}}
}

func (c *calc) Methods(context.Context) ([]sdk.MethodSpec, error) { return c.specs, nil }

func (c *calc) Call(_ context.Context, method string, params json.RawMessage, s sdk.SessionInfo) (json.RawMessage, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "host sent %s: %w", params, err)
	}
	switch method {
	case "calc.add":
		sum := 0.0
		for i, a := range args {
			var f *float64
			if err := json.Unmarshal(a, &f); err != nil {
				return nil, sdk.Errorf(sdk.KindInvalidArgument, "argument %d must be a number", i)
			}
			if f != nil {
				sum += *f
			}
		}
		return json.Marshal(sum)
	case "calc.echo":
		return params, nil
	case "calc.new":
		return json.Marshal(s)
	case "calc.fail":
		var k int32
		_ = json.Unmarshal(args[0], &k)
		return nil, &sdk.Error{Kind: sdk.Kind(k), Message: "calc failed"}
	}
	return nil, sdk.Errorf(sdk.KindUnimplemented, "no %s", method)
}
