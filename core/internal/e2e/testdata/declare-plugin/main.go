// Command declare-plugin is a method-provider plugin for the e2e tests: it
// declares the methods named in $DECLARE_METHODS (comma-separated), each
// answering null.
package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"

	"github.com/amber-electrum/amber/sdk"
)

type plugin struct{ sdk.BasicPlugin }

func (p *plugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	var specs []sdk.MethodSpec
	for _, name := range strings.Split(os.Getenv("DECLARE_METHODS"), ",") {
		if name != "" {
			specs = append(specs, sdk.MethodSpec{Name: name})
		}
	}
	return specs, nil
}

func (p *plugin) Call(context.Context, string, json.RawMessage, sdk.SessionInfo) (json.RawMessage, error) {
	return json.RawMessage("null"), nil
}

func main() {
	sdk.Serve(&plugin{BasicPlugin: sdk.BasicPlugin{Name: "declare", Version: "0.1.0"}})
}
