package electrum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// daemonError maps a daemon plugin error through the SDK's one error table.
// DAEMON_ERROR messages are "daemon error: <repr>", with the daemon's error
// object printed as upstream's DaemonError repr. Errors the table maps to
// an internal error are returned unchanged (the session reports -32603).
func daemonError(err error) error {
	kind := sdk.KindOf(err)
	code := kind.Info().ElectrumCode
	if code == jsonrpc.InternalError {
		return err
	}
	var se *sdk.Error
	if errors.As(err, &se) && (se.Kind == sdk.KindDaemon || se.Kind == sdk.KindRejected) {
		return &jsonrpc.Error{Code: code, Message: fmt.Sprintf("daemon error: DaemonError({'code': %d, 'message': %s})",
			se.DaemonCode, pyQuote(se.DaemonMessage))}
	}
	return &jsonrpc.Error{Code: code, Message: "daemon error: " + err.Error()}
}

// broadcastError builds the rejection reply of transaction.broadcast.
func broadcastError(err error, rawTx string) error {
	var se *sdk.Error
	if !errors.As(err, &se) || (se.Kind != sdk.KindRejected && se.Kind != sdk.KindDaemon) {
		return daemonError(err)
	}
	msg := se.DaemonMessage
	if msg == "" {
		msg = se.Message
	}
	return badRequest("the transaction was rejected by network rules.\n\n%s\n[%s]", msg, rawTx)
}

// bucketTarget is SP22's Bitcoin estimatefee target bucketing.
func bucketTarget(n int64) int64 {
	switch {
	case n <= 1:
		return 1
	case n <= 12, n == 25:
		return n
	case n <= 48:
		return n / 2 * 2
	case n <= 1008:
		return n / 24 * 24
	}
	return 1008
}

func estimateFee(ctx context.Context, c *call) (any, error) {
	number, jerr := nonNegInt(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	mode := ""
	if raw := c.args[1]; raw != nil && string(raw) != "null" {
		s, ok := jsonString(raw)
		if !ok || (s != "CONSERVATIVE" && s != "ECONOMICAL") {
			return nil, badRequest("unknown estimatefee mode: %s", pyStr(raw))
		}
		mode = s
	}
	c.s.AddCost(0.1)
	target := bucketTarget(number)
	tip := c.srv.currentTip().hash
	rate, err := c.srv.fees.get(feeKey{target, mode}, tip, func() (float64, error) {
		c.s.AddCost(2.0)
		dctx, cancel := c.srv.daemonCtx(ctx)
		defer cancel()
		return c.srv.daemon.EstimateFee(dctx, int(target), mode)
	})
	if err != nil {
		return nil, daemonError(err)
	}
	return feeRate(rate), nil
}

// feeRate encodes -1 as the integer -1 and other rates as JSON numbers.
func feeRate(r float64) json.RawMessage {
	if r == -1 {
		return json.RawMessage("-1")
	}
	return json.RawMessage(strconv.FormatFloat(r, 'f', -1, 64))
}

// relayFeeTTL is how long a relay fee answer is reused (SP22 caches
// getnetworkinfo for 60 s).
const relayFeeTTL = 60 * time.Second

type relayCache struct {
	mu      sync.Mutex
	rate    float64
	expires time.Time
}

func relayFee(ctx context.Context, c *call) (any, error) {
	c.s.AddCost(1.0)
	rc := &c.srv.relay
	rc.mu.Lock()
	defer rc.mu.Unlock() // also coalesces concurrent misses
	if now := c.srv.now(); now.Before(rc.expires) {
		return feeRate(rc.rate), nil
	}
	dctx, cancel := c.srv.daemonCtx(ctx)
	defer cancel()
	r, err := c.srv.daemon.RelayFee(dctx)
	if err != nil {
		return nil, daemonError(err)
	}
	rc.rate, rc.expires = r, c.srv.now().Add(relayFeeTTL)
	return feeRate(r), nil
}

func transactionGet(ctx context.Context, c *call) (any, error) {
	txid, jerr := parseTxHash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	verbose, jerr := parseBool(c.args[1], "verbose")
	if jerr != nil {
		return nil, jerr
	}
	c.s.AddCost(1.0)
	dctx, cancel := c.srv.daemonCtx(ctx)
	defer cancel()
	res, err := c.srv.daemon.Transaction(dctx, txid, verbose)
	if err != nil {
		return nil, daemonError(err)
	}
	return json.RawMessage(res), nil
}

func transactionBroadcast(ctx context.Context, c *call) (any, error) {
	raw := c.args[0]
	rawTx, ok := jsonString(raw)
	if !ok {
		// Upstream forwards any JSON value; bitcoind then refuses it.
		rawTx = string(raw)
	}
	c.s.AddCost(0.25 + float64(len(rawTx))/5000)
	if !ok {
		return nil, badRequest("the transaction was rejected by network rules.\n\n%s\n[%s]",
			"JSON value is not a string as expected", pyStr(raw))
	}
	dctx, cancel := c.srv.daemonCtx(ctx)
	defer cancel()
	txid, err := c.srv.daemon.Broadcast(dctx, rawTx)
	if err != nil {
		return nil, broadcastError(err, rawTx)
	}
	c.srv.stats.TxsSent.Add(1)
	countTxSent(c.s)
	return txid, nil
}
