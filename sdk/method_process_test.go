package sdk_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// helperEnv makes the test binary act as a plugin (TestHelperProcess).
const helperEnv = "AMBER_SDK_TEST_PLUGIN"

// tipPlugin answers tip.height from the host services.
type tipPlugin struct{ sdk.BasicPlugin }

func (p *tipPlugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{{Name: "tip.height"}}, nil
}

func (p *tipPlugin) Call(ctx context.Context, _ string, _ json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	if p.Host() == nil {
		return nil, sdk.Errorf(sdk.KindUnavailable, "no host")
	}
	tip, err := p.Host().Tip(ctx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(tip.Height)
}

// TestHelperProcess is the plugin process of TestServeProcess.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestServeProcess")
	}
	sdk.Serve(&tipPlugin{BasicPlugin: sdk.BasicPlugin{Name: "tip", Version: "1"}})
}

// TestServeProcess launches sdk.Serve in a real child process as
// amberd would (gRPC, AutoMTLS) and calls a method that calls back into the
// host services over the broker.
func TestServeProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hostside.Handshake,
		VersionedPlugins: hostside.PluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.NewNullLogger(),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	raw, err := rpc.Dispense(hostside.PluginMethods)
	if err != nil {
		t.Fatal(err)
	}
	mc := raw.(*hostside.MethodsClient)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	d, err := mc.Describe(ctx)
	if err != nil || d.Name != "tip" || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) || slices.Contains(d.Capabilities, sdk.CapChainBackend) {
		t.Fatalf("Describe = %+v, %v; want tip with only %q", d, err, sdk.CapMethodProvider)
	}
	if err := mc.WithHost(sdktest.NewFakeHost(9)).Configure(ctx, []byte(`{}`)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	res, err := mc.Call(ctx, "tip.height", json.RawMessage(`[]`), sdk.SessionInfo{})
	if err != nil || string(res) != "8" {
		t.Errorf("tip.height = %s, %v; want 8", res, err)
	}
	if err := mc.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
