package chainbackend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// probeSmartFee decides whether estimatesmartfee is usable: the capability
// probe (docs/protocol.md, Daemon connection) (no parameters, missing only on
// -32601), confirmed by a real call because btcd fails the probe with -32602
// but lacks the RPC.
func probeSmartFee(ctx context.Context, c *daemonrpc.Client) (bool, error) {
	ok, err := c.Available(ctx, "estimatesmartfee")
	if err != nil || !ok {
		return false, err
	}
	_, err = c.Call(ctx, "estimatesmartfee", 2)
	if daemonrpc.IsMethodMissing(err) {
		c.SetAvailable("estimatesmartfee", false)
		return false, nil
	}
	if sdk.KindOf(err) == sdk.KindUnavailable {
		return false, err
	}
	return true, nil // a daemon error for a real target still means it exists
}

// EstimateFee returns estimatesmartfee's feerate (-1 when it has none), or
// estimatefee's answer where estimatesmartfee is missing (see the package doc
// for how btcd's answers map to -1).
func (b *Backend) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	c, _, err := b.conn()
	if err != nil {
		return 0, err
	}
	smart, err := c.Available(ctx, "estimatesmartfee")
	if err != nil {
		return 0, err
	}
	if smart {
		params := []any{blocks}
		if mode != "" {
			params = append(params, mode)
		}
		res, err := c.Call(ctx, "estimatesmartfee", params...)
		if err == nil {
			var r struct {
				FeeRate *float64 `json:"feerate"`
			}
			if err := json.Unmarshal(res, &r); err != nil {
				return 0, sdk.Errorf(sdk.KindInternal, "estimatesmartfee: unexpected result %.100s", res)
			}
			if r.FeeRate == nil {
				return -1, nil
			}
			return *r.FeeRate, nil
		}
		if !daemonrpc.IsMethodMissing(err) {
			return 0, err
		}
		c.SetAvailable("estimatesmartfee", false)
	}
	var rate float64
	res, err := c.Call(ctx, "estimatefee", blocks)
	var e *sdk.Error
	if errors.As(err, &e) && e.Kind == sdk.KindDaemon && e.DaemonCode == -32600 {
		return -1, nil // btcd: estimator not ready, or a zero target
	}
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(res, &rate); err != nil {
		return 0, sdk.Errorf(sdk.KindInternal, "estimatefee: unexpected result %.100s", res)
	}
	if rate <= 0 {
		return -1, nil
	}
	return rate, nil
}

// networkInfo is the part of getnetworkinfo (or btcd's getinfo) we use.
type networkInfo struct {
	Version    int64   `json:"version"`
	Subversion string  `json:"subversion"`
	RelayFee   float64 `json:"relayfee"`
}

// networkInfo calls getnetworkinfo, or getinfo where it is missing (btcd).
func (b *Backend) networkInfo(ctx context.Context) (networkInfo, error) {
	var ni networkInfo
	c, _, err := b.conn()
	if err != nil {
		return ni, err
	}
	method := "getinfo"
	has, err := c.Available(ctx, "getnetworkinfo")
	if err != nil {
		return ni, err
	}
	if has {
		method = "getnetworkinfo"
	}
	res, err := c.Call(ctx, method)
	if has && daemonrpc.IsMethodMissing(err) {
		c.SetAvailable("getnetworkinfo", false)
		method = "getinfo"
		res, err = c.Call(ctx, method)
	}
	if err != nil {
		return ni, err
	}
	if err := json.Unmarshal(res, &ni); err != nil {
		return ni, sdk.Errorf(sdk.KindInternal, "%s: unexpected result %.100s", method, res)
	}
	if method == "getinfo" && ni.Subversion == "" {
		ni.Subversion = btcdSubversion(ni.Version)
	}
	return ni, nil
}

// btcdSubversion builds a user agent from btcd's getinfo.version, which
// encodes major.minor.patch as 1000000*major + 10000*minor + 100*patch
// (240200 is 0.24.2): "/btcd:0.24.2/". Only daemons without getnetworkinfo
// get here, which in practice means btcd.
func btcdSubversion(v int64) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf("/btcd:%d.%d.%d/", v/1000000, v/10000%100, v/100%100)
}

// RelayFee returns the minimum relay fee (getnetworkinfo.relayfee, btcd:
// getinfo.relayfee).
func (b *Backend) RelayFee(ctx context.Context) (float64, error) {
	ni, err := b.networkInfo(ctx)
	return ni.RelayFee, err
}

// DaemonInfo returns version, subversion (built from the version on btcd)
// and relay fee.
func (b *Backend) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	ni, err := b.networkInfo(ctx)
	if err != nil {
		return sdk.DaemonInfo{}, err
	}
	return sdk.DaemonInfo{Version: ni.Version, Subversion: ni.Subversion, RelayFee: ni.RelayFee}, nil
}
