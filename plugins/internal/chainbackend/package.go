package chainbackend

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

var (
	_ sdk.PackageBroadcaster = (*Backend)(nil)
	_ sdk.MempoolInfoer      = (*Backend)(nil)
)

// pkgTx is one decoded package member.
type pkgTx struct {
	hex         string
	txid, wtxid string // display hex
}

// decodePackage decodes every member locally: the txids order the errors
// and the fallback needs them for rejected transactions. A member that does
// not decode refuses the whole package, as submitpackage does.
func decodePackage(raws []string) ([]pkgTx, error) {
	if len(raws) == 0 {
		return nil, &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -8,
			DaemonMessage: "package is empty", Message: "package is empty"}
	}
	out := make([]pkgTx, len(raws))
	for i, s := range raws {
		raw, err := hex.DecodeString(s)
		var tx wire.MsgTx
		if err == nil {
			err = tx.Deserialize(bytes.NewReader(raw))
		}
		if err != nil {
			return nil, &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -22,
				DaemonMessage: "TX decode failed", Message: "TX decode failed"}
		}
		out[i] = pkgTx{hex: s, txid: tx.TxHash().String(), wtxid: tx.WitnessHash().String()}
	}
	return out, nil
}

// rejected turns a daemon error into KindRejected, as Broadcast does.
func rejected(err error) error {
	var e *sdk.Error
	if errors.As(err, &e) && e.Kind == sdk.KindDaemon {
		return &sdk.Error{Kind: sdk.KindRejected, Message: e.DaemonMessage,
			DaemonCode: e.DaemonCode, DaemonMessage: e.DaemonMessage}
	}
	return err
}

// BroadcastPackage submits the package with submitpackage. Where the daemon
// lacks it (btcd, Bitcoin Core < 26) every transaction is sent in order with
// sendrawtransaction instead (see the package doc). A daemon error for the
// whole package is KindRejected.
func (b *Backend) BroadcastPackage(ctx context.Context, rawTxsHex []string) (sdk.PackageResult, error) {
	txs, err := decodePackage(rawTxsHex)
	if err != nil {
		return sdk.PackageResult{}, err
	}
	c, _, err := b.conn()
	if err != nil {
		return sdk.PackageResult{}, err
	}
	has, err := c.Available(ctx, "submitpackage")
	if err != nil {
		return sdk.PackageResult{}, err
	}
	if has {
		res, err := c.Call(ctx, "submitpackage", rawTxsHex)
		if err == nil {
			return parseSubmitPackage(res, txs)
		}
		if !daemonrpc.IsMethodMissing(err) {
			return sdk.PackageResult{}, rejected(err)
		}
		c.SetAvailable("submitpackage", false)
	}
	return b.sendSequentially(ctx, txs)
}

// parseSubmitPackage reads submitpackage's answer: success is package_msg
// "success" (Core 27+), or, without package_msg (Core 26), no per-tx error.
// Errors are ordered as the package.
func parseSubmitPackage(res json.RawMessage, txs []pkgTx) (sdk.PackageResult, error) {
	var r struct {
		PackageMsg *string `json:"package_msg"`
		TxResults  map[string]struct {
			Txid  string `json:"txid"`
			Error string `json:"error"`
		} `json:"tx-results"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return sdk.PackageResult{}, sdk.Errorf(sdk.KindInternal, "submitpackage: unexpected result %.100s: %w", res, err)
	}
	out := sdk.PackageResult{JSON: res}
	byTxid := map[string]string{}
	for _, tr := range r.TxResults {
		if tr.Error != "" {
			byTxid[tr.Txid] = tr.Error
		}
	}
	for _, tx := range txs {
		if msg, ok := byTxid[tx.txid]; ok {
			out.Errors = append(out.Errors, sdk.PackageTxError{Txid: tx.txid, Error: msg})
			delete(byTxid, tx.txid)
		}
	}
	for txid, msg := range byTxid { // not a member: cannot happen with a sane daemon
		out.Errors = append(out.Errors, sdk.PackageTxError{Txid: txid, Error: msg})
	}
	if r.PackageMsg != nil {
		out.Success = *r.PackageMsg == "success"
	} else {
		out.Success = len(out.Errors) == 0
	}
	return out, nil
}

// seqResult is the submitpackage-shaped JSON of the sequential fallback.
type seqResult struct {
	PackageMsg string                 `json:"package_msg"`
	TxResults  map[string]seqTxResult `json:"tx-results"`
	Replaced   []string               `json:"replaced-transactions"`
}

type seqTxResult struct {
	Txid  string `json:"txid"`
	Error string `json:"error,omitempty"`
}

// sendSequentially is the fallback for daemons without submitpackage: each
// transaction in package order through sendrawtransaction. A daemon
// rejection is recorded for that transaction and the rest are still sent
// (a child of a rejected parent is then rejected as an orphan); a
// transaction the daemon already has counts as accepted, as in
// submitpackage. Any other failure (daemon unreachable) ends the call with
// that error; transactions accepted before it stay in the mempool.
func (b *Backend) sendSequentially(ctx context.Context, txs []pkgTx) (sdk.PackageResult, error) {
	out := sdk.PackageResult{Success: true}
	js := seqResult{PackageMsg: "success", TxResults: map[string]seqTxResult{}, Replaced: []string{}}
	for _, tx := range txs {
		err := b.call(ctx, nil, "sendrawtransaction", tx.hex)
		var e *sdk.Error
		switch {
		case err == nil:
		case errors.As(err, &e) && e.Kind == sdk.KindDaemon:
			if strings.Contains(e.DaemonMessage, "already have transaction") {
				break
			}
			out.Success = false
			out.Errors = append(out.Errors, sdk.PackageTxError{Txid: tx.txid, Error: e.DaemonMessage})
			js.PackageMsg = "transaction failed"
			js.TxResults[tx.wtxid] = seqTxResult{Txid: tx.txid, Error: e.DaemonMessage}
			continue
		default:
			return sdk.PackageResult{}, err
		}
		js.TxResults[tx.wtxid] = seqTxResult{Txid: tx.txid}
	}
	out.JSON, _ = json.Marshal(js)
	return out, nil
}

// MempoolInfo reads getmempoolinfo's mempoolminfee, minrelaytxfee and
// incrementalrelayfee. Fields the daemon does not report (btcd's
// getmempoolinfo has only size and bytes) are the relay fee of
// getnetworkinfo / getinfo.
func (b *Backend) MempoolInfo(ctx context.Context) (sdk.MempoolInfo, error) {
	c, _, err := b.conn()
	if err != nil {
		return sdk.MempoolInfo{}, err
	}
	var r struct {
		MempoolMinFee       *float64 `json:"mempoolminfee"`
		MinRelayTxFee       *float64 `json:"minrelaytxfee"`
		IncrementalRelayFee *float64 `json:"incrementalrelayfee"`
	}
	res, err := c.Call(ctx, "getmempoolinfo")
	switch {
	case daemonrpc.IsMethodMissing(err):
	case err != nil:
		return sdk.MempoolInfo{}, err
	default:
		if err := json.Unmarshal(res, &r); err != nil {
			return sdk.MempoolInfo{}, sdk.Errorf(sdk.KindInternal, "getmempoolinfo: unexpected result %.100s: %w", res, err)
		}
	}
	fields := []**float64{&r.MempoolMinFee, &r.MinRelayTxFee, &r.IncrementalRelayFee}
	for _, f := range fields {
		if *f == nil {
			ni, err := b.networkInfo(ctx)
			if err != nil {
				return sdk.MempoolInfo{}, err
			}
			for _, g := range fields {
				if *g == nil {
					*g = &ni.RelayFee
				}
			}
			break
		}
	}
	return sdk.MempoolInfo{MempoolMinFee: *r.MempoolMinFee, MinRelayTxFee: *r.MinRelayTxFee,
		IncrementalRelayFee: *r.IncrementalRelayFee}, nil
}
