package electrum

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/amber-electrum/amber/sdk/pyfmt"

	"github.com/amber-electrum/amber/sdk"
)

// Methods new in protocol 1.6 (protocol.md §7).

type packageError struct {
	Txid  string `json:"txid"`
	Error string `json:"error"`
}

type packageResult struct {
	Success bool           `json:"success"`
	Errors  []packageError `json:"errors"`
}

// transactionBroadcastPackage: blockchain.transaction.broadcast_package
// (raw_txs, verbose=false) through the daemon's sdk.PackageBroadcaster
// (bitcoind: submitpackage; the bitcoind plugin falls back to
// sendrawtransaction per transaction on daemons without it). Non-verbose
// result {"success", "errors": [{"txid", "error"}]}; verbose: the daemon's
// answer unchanged. A backend without the capability is a DAEMON_ERROR; a
// package the daemon refuses as a whole is a BAD_REQUEST like broadcast's.
// cost: 0.25 + (sum of the hex lengths)/5000.
func transactionBroadcastPackage(ctx context.Context, c *call) (any, error) {
	var raws []string
	if raw := c.args[0]; len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &raws) != nil {
		c.s.AddCost(0.25)
		return nil, badRequest("%s is not a list of raw transactions", pyfmt.Str(raw))
	}
	verbose, jerr := parseBool(c.args[1], "verbose")
	if jerr != nil {
		return nil, jerr
	}
	n := 0
	for _, r := range raws {
		n += len(r)
	}
	c.s.AddCost(0.25 + float64(n)/5000)
	pb, ok := c.srv.daemon.(sdk.PackageBroadcaster)
	if !ok {
		return nil, daemonError(sdk.Errorf(sdk.KindUnimplemented, "the chain backend cannot broadcast packages"))
	}
	dctx, cancel := c.srv.daemonCtx(ctx)
	defer cancel()
	res, err := pb.BroadcastPackage(dctx, raws)
	if err != nil {
		return nil, packageRejection(err, raws)
	}
	if sent := len(raws) - len(res.Errors); sent > 0 {
		c.srv.stats.TxsSent.Add(int64(sent))
		for range sent {
			countTxSent(c.s)
		}
	}
	if verbose && len(res.JSON) > 0 {
		return json.RawMessage(res.JSON), nil
	}
	out := packageResult{Success: res.Success, Errors: make([]packageError, len(res.Errors))}
	for i, e := range res.Errors {
		out.Errors[i] = packageError{Txid: e.Txid, Error: e.Error}
	}
	return out, nil
}

// packageRejection builds the reply to a package the daemon refused as a
// whole: BAD_REQUEST with the daemon's message and the raw transactions,
// like broadcast's rejection; other failures are DAEMON_ERRORs.
func packageRejection(err error, raws []string) error {
	var se *sdk.Error
	if !errors.As(err, &se) || (se.Kind != sdk.KindRejected && se.Kind != sdk.KindDaemon) {
		return daemonError(err)
	}
	msg := se.DaemonMessage
	if msg == "" {
		msg = se.Message
	}
	return badRequest("the transaction package was rejected by network rules.\n\n%s\n[%s]", msg, strings.Join(raws, ", "))
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
	c.s.AddCost(1.0)
	info, err := c.srv.mempool.get(c.srv.now, func() (sdk.MempoolInfo, error) {
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
