package electrum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// daemonError maps a daemon plugin error through amberd's one error table
// (hostside.ElectrumCode).
// DAEMON_ERROR messages are "daemon error: <repr>", with the daemon's error
// object printed as upstream's DaemonError repr. Errors the table maps to
// an internal error are returned unchanged (the session reports -32603).
func daemonError(err error) error {
	kind := sdk.KindOf(err)
	code := hostside.ElectrumCode(kind)
	if code == jsonrpc.InternalError {
		return err
	}
	var se *sdk.Error
	if errors.As(err, &se) && (se.Kind == sdk.KindDaemon || se.Kind == sdk.KindRejected) {
		return &jsonrpc.Error{Code: code, Message: fmt.Sprintf("daemon error: DaemonError({'code': %d, 'message': %s})",
			se.DaemonCode, pyfmt.Quote(se.DaemonMessage))}
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
	// Upstream upper-cases a string mode and ignores any other value
	// (session.py estimatefee), then checks it against ESTIMATEFEE_MODES.
	mode := ""
	if s, ok := jsonString(c.args[1]); ok {
		mode = strings.ToUpper(s)
		if mode != "CONSERVATIVE" && mode != "ECONOMICAL" {
			return nil, badRequest("unknown estimatefee mode: %s", mode)
		}
	}
	c.charge(units{})
	target := bucketTarget(number)
	tip := c.srv.currentTip().hash
	rate, err := c.srv.fees.get(feeKey{target, mode}, tip, func() (float64, error) {
		c.charge(units{Miss: true})
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

// feeInfoTTL is how long relayfee and mempool.get_info answers are reused
// (SP22 caches getnetworkinfo for 60 s).
const feeInfoTTL = 60 * time.Second

// timedCache keeps one daemon answer for feeInfoTTL. Its lock is held while
// the daemon is asked, which also coalesces concurrent misses.
type timedCache[T any] struct {
	mu      sync.Mutex
	val     T
	expires time.Time
}

// get returns the cached value, or fill's answer (cached) once it expired.
func (tc *timedCache[T]) get(fill func() (T, error)) (T, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if time.Now().Before(tc.expires) {
		return tc.val, nil
	}
	v, err := fill()
	if err != nil {
		var zero T
		return zero, err
	}
	tc.val, tc.expires = v, time.Now().Add(feeInfoTTL)
	return v, nil
}

func relayFee(ctx context.Context, c *call) (any, error) {
	c.charge(units{})
	r, err := c.srv.relay.get(func() (float64, error) {
		dctx, cancel := c.srv.daemonCtx(ctx)
		defer cancel()
		return c.srv.daemon.RelayFee(dctx)
	})
	if err != nil {
		return nil, daemonError(err)
	}
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
	c.charge(units{})
	res, err := c.srv.transaction(ctx, txid, verbose)
	if err != nil {
		return nil, daemonError(err)
	}
	// Validated once, when the daemon answered (fillTx).
	return jsonrpc.Encoded(res), nil
}

// isHexStr is upstream's is_hex_str (lib/util.py): a str that
// bytes.fromhex reads with no whitespace, so an even number of hex digits
// (the empty string included).
func isHexStr(raw json.RawMessage) (string, bool) {
	s, ok := jsonString(raw)
	if !ok || len(s)%2 != 0 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", false
		}
	}
	return s, true
}

// notHex is assert_hex_str's error (session.py).
func notHex(raw json.RawMessage) *jsonrpc.Error {
	return badRequest("%s should be a hex string", pyfmt.Str(raw))
}

// transactionBroadcast is upstream's transaction_broadcast: the hex is
// checked first (no cost, no daemon call when it is not hex), then the
// cost, then sendrawtransaction; a daemon rejection is BAD_REQUEST with
// the daemon's message and the raw transaction. Electrum clients older
// than 3.3.3 get the upgrade warning instead of the txid.
func transactionBroadcast(ctx context.Context, c *call) (any, error) {
	rawTx, ok := isHexStr(c.args[0])
	if !ok {
		return nil, notHex(c.args[0])
	}
	c.charge(units{N: len(rawTx)})
	dctx, cancel := c.srv.daemonCtx(ctx)
	defer cancel()
	txid, err := c.srv.daemon.Broadcast(dctx, rawTx)
	if err != nil {
		return nil, broadcastError(err, rawTx)
	}
	c.srv.stats.TxsSent.Add(1)
	c.s.Counters().TxsSent.Add(1)
	if cv := ParseVersion(c.h.clientName()); cv.Compare(Version{0}) != 0 && cv.Compare(Version{3, 3, 3}) < 0 {
		return oldClientWarning, nil
	}
	return txid, nil
}

// oldClientWarning is Bitcoin's warn_old_client_on_tx_broadcast text
// (lib/coins.py), returned instead of the txid to Electrum < 3.3.3.
const oldClientWarning = "<br/><br/>Your transaction was successfully broadcast.<br/><br/>" +
	"However, you are using a VULNERABLE version of Electrum.<br/>" +
	"Download the new version from the usual place:<br/>https://electrum.org/<br/><br/>"
