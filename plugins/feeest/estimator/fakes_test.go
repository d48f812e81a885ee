package estimator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// fakeFees is an in-memory sdk.FeeHost.
type fakeFees struct {
	mu    sync.Mutex
	bins  []sdk.FeeBin
	stats sdk.MempoolStats
	err   error
}

func (f *fakeFees) FeeHistogram(ctx context.Context) ([]sdk.FeeBin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bins, f.err
}

func (f *fakeFees) MempoolStats(ctx context.Context) (sdk.MempoolStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats, f.err
}

// serveFees serves impl as the host's fee service, as amberd serves the
// host services, and returns the plugin-side Host (an sdk.FeeHost) that
// SetHost receives.
func serveFees(t *testing.T, impl sdk.FeeHost) sdk.Host {
	return sdktest.WireHost(t, feeHost{sdktest.NewFakeHost(1), impl})
}

// fakeDaemon is a JSON-RPC daemon on httptest: Bitcoin Core-like with
// smart set (estimatesmartfee, getnetworkinfo), btcd-like without.
type fakeDaemon struct {
	smart    bool
	feerate  any     // estimatesmartfee feerate (nil: none)
	legacy   float64 // estimatefee answer
	relayFee float64

	mu    sync.Mutex
	calls []string // method and params, e.g. `estimatesmartfee [6,"ECONOMICAL"]`
}

func (d *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
		ID     json.RawMessage `json:"id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	d.calls = append(d.calls, strings.TrimSpace(req.Method+" "+string(req.Params)))
	d.mu.Unlock()
	var result any
	var rpcErr map[string]any
	missing := map[string]any{"code": -32601, "message": "Method not found"}
	switch req.Method {
	case "getblockcount":
		result = 10
	case "getblockhash":
		result = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
	case "getblockchaininfo":
		result = map[string]any{"chain": "regtest", "blocks": 10}
	case "estimatesmartfee":
		if !d.smart {
			rpcErr = missing
			break
		}
		if d.feerate == nil {
			result = map[string]any{"errors": []string{"Insufficient data"}, "blocks": 2}
		} else {
			result = map[string]any{"feerate": d.feerate, "blocks": 2}
		}
	case "estimatefee":
		result = d.legacy
	case "getnetworkinfo":
		if !d.smart {
			rpcErr = map[string]any{"code": -1, "message": "Command unimplemented"}
			break
		}
		result = map[string]any{"version": 270000, "subversion": "/Satoshi:27.0.0/", "relayfee": d.relayFee}
	case "getinfo":
		result = map[string]any{"version": 240200, "relayfee": d.relayFee}
	default:
		rpcErr = missing
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"result": result, "error": rpcErr, "id": req.ID})
}

func (d *fakeDaemon) called(prefix string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// start serves d and returns its daemon_url.
func (d *fakeDaemon) start(t *testing.T) string {
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return "u:p@" + strings.TrimPrefix(srv.URL, "http://")
}
