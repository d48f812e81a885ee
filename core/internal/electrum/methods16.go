package electrum

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/sdk"
)

// Methods new in protocol 1.6 (docs/methods.md).

type packageError struct {
	Txid  string `json:"txid"`
	Error string `json:"error"`
}

type packageResult struct {
	Success bool           `json:"success"`
	Errors  []packageError `json:"errors,omitempty"`
}

// transactionBroadcastPackage is upstream's package_broadcast
// (blockchain.transaction.broadcast_package(raw_txs, verbose=false)):
// raw_txs must be a list ("... should be a list") of hex strings ("...
// should be a hex string"), checked before any cost; cost 0.25 + (sum of
// the hex lengths)/5000; then the daemon's sdk.PackageBroadcaster
// (bitcoind: submitpackage). verbose is Python truthiness, unchecked.
// Non-verbose result {"success"} plus "errors" [{"txid", "error"}] only
// when some transaction failed; verbose: the daemon's answer unchanged. A
// package the daemon refuses is BAD_REQUEST "the tx package was rejected
// by network rules.\n\n<message>."; every transaction of an accepted
// package counts as sent. A backend without the capability is a
// DAEMON_ERROR.
func transactionBroadcastPackage(ctx context.Context, c *call) (any, error) {
	raw := c.args[0]
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, badRequest("%s should be a list", pyfmt.Str(raw))
	}
	raws := make([]string, len(items))
	n := 0
	for i, it := range items {
		h, ok := isHexStr(bytes.TrimSpace(it))
		if !ok {
			return nil, notHex(it)
		}
		raws[i] = h
		n += len(h)
	}
	verbose := c.args[1] != nil && pyTruthy(c.args[1])
	c.charge(units{N: n})
	pb, ok := c.srv.daemon.(sdk.PackageBroadcaster)
	if !ok {
		return nil, daemonError(sdk.Errorf(sdk.KindUnimplemented, "the chain backend cannot broadcast packages"))
	}
	dctx, cancel := c.srv.daemonCtx(ctx)
	defer cancel()
	res, err := pb.BroadcastPackage(dctx, raws)
	if err != nil {
		return nil, packageRejection(err)
	}
	c.srv.stats.TxsSent.Add(int64(len(raws)))
	for range raws {
		c.s.Counters().TxsSent.Add(1)
	}
	if verbose && len(res.JSON) > 0 {
		return json.RawMessage(res.JSON), nil
	}
	out := packageResult{Success: res.Success}
	for _, e := range res.Errors {
		if e.Error != "" {
			out.Errors = append(out.Errors, packageError{Txid: e.Txid, Error: e.Error})
		}
	}
	return out, nil
}

// packageRejection builds the reply to a package the daemon refused as a
// whole: BAD_REQUEST with the daemon's message (session.py
// package_broadcast); other failures are DAEMON_ERRORs.
func packageRejection(err error) error {
	var se *sdk.Error
	if !errors.As(err, &se) || (se.Kind != sdk.KindRejected && se.Kind != sdk.KindDaemon) {
		return daemonError(err)
	}
	msg := se.DaemonMessage
	if msg == "" {
		msg = se.Message
	}
	return badRequest("the tx package was rejected by network rules.\n\n%s.", msg)
}

type mempoolInfo struct {
	MempoolMinFee       json.RawMessage `json:"mempoolminfee"`
	MinRelayTxFee       json.RawMessage `json:"minrelaytxfee"`
	IncrementalRelayFee json.RawMessage `json:"incrementalrelayfee"`
}

// mempoolGetInfo: mempool.get_info() → {"mempoolminfee", "minrelaytxfee",
// "incrementalrelayfee"} in coin units per kB, from the daemon's
// sdk.MempoolInfoer (getmempoolinfo), cached for 60 s. A backend without it
// (or answering KindUnimplemented) gives the relay fee for all three.
// cost +1.0, as relayfee.
func mempoolGetInfo(ctx context.Context, c *call) (any, error) {
	c.charge(units{})
	info, err := c.srv.mempool.get(func() (sdk.MempoolInfo, error) {
		dctx, cancel := c.srv.daemonCtx(ctx)
		defer cancel()
		if mi, ok := c.srv.daemon.(sdk.MempoolInfoer); ok {
			info, err := mi.MempoolInfo(dctx)
			if sdk.KindOf(err) != sdk.KindUnimplemented {
				return info, err
			}
		}
		r, err := c.srv.daemon.RelayFee(dctx)
		return sdk.MempoolInfo{MempoolMinFee: r, MinRelayTxFee: r, IncrementalRelayFee: r}, err
	})
	if err != nil {
		return nil, daemonError(err)
	}
	return mempoolInfo{feeRate(info.MempoolMinFee), feeRate(info.MinRelayTxFee), feeRate(info.IncrementalRelayFee)}, nil
}
