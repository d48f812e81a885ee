package admin

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/pyfmt"
)

// satsPerCoin is the number of base units in one coin.
const satsPerCoin = 100_000_000

// ShortName is the coin's ticker as ElectrumX shows it in query balances:
// BTC on mainnet, XTN on the test networks.
func ShortName(network string) string {
	if network == "" || network == "mainnet" {
		return "BTC"
	}
	return "XTN"
}

// CoinAmount renders sats in coin units like Python's
// f"{Decimal(sats) / 100_000_000:,f}": thousands separators, no trailing
// zeros in the fraction ("1,234.5", "0.00000001", "50").
func CoinAmount(sats int64) string {
	neg := sats < 0
	if neg {
		sats = -sats
	}
	s := pyfmt.Thousands(sats / satsPerCoin)
	if frac := sats % satsPerCoin; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%08d", frac), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// queryTarget turns one query item into its label line and HashX: hex is a
// script, else an address of the configured network; ok is false for
// anything else (skipped silently, as upstream).
func (s *Server) queryTarget(item string) (label string, hx index.HashX, ok bool) {
	if script, err := hex.DecodeString(item); err == nil {
		return "Script: " + item, index.HashXFromScript(script), true
	}
	if s.opts.Network != nil {
		if script, err := s.opts.Network.AddressToScript(item); err == nil {
			return "Address: " + item, index.HashXFromScript(script), true
		}
	}
	return "", hx, false
}

func (s *Server) query(ctx context.Context, _ *session.Session, args []json.RawMessage) (any, error) {
	items, ok := stringList(args[0])
	if !ok {
		return nil, badRequest("items: expected a list of scripts (hex) or addresses")
	}
	limit, err := nonNegative(args[1])
	if err != nil {
		return nil, err
	}
	if s.opts.Index == nil {
		return nil, badRequest("no index")
	}
	short := "BTC"
	if s.opts.Network != nil {
		short = ShortName(s.opts.Network.Name)
	}
	lines := []string{}
	for _, item := range items {
		label, hx, ok := s.queryTarget(item)
		if !ok {
			continue
		}
		lines = append(lines, label)
		more, err := s.queryLines(ctx, hx, limit, short)
		if err != nil {
			return nil, err
		}
		lines = append(lines, more...)
	}
	return lines, nil
}

// queryLines are the history, UTXO and balance lines of one script
// (confirmed data only; the mempool is ignored).
func (s *Server) queryLines(ctx context.Context, hx index.HashX, limit int, short string) ([]string, error) {
	var lines []string
	hist, _, err := s.opts.Index.History(ctx, hx, 0)
	if err != nil {
		return nil, badRequest("history: %v", err)
	}
	if len(hist) > limit {
		hist = hist[:limit]
	}
	for n, h := range hist {
		lines = append(lines, fmt.Sprintf("History #%s: height %s tx_hash %s",
			pyfmt.Thousands(int64(n)), pyfmt.Thousands(h.Height), h.TxHash))
	}
	if len(hist) == 0 {
		lines = append(lines, "No history found")
	}
	utxos, _, err := s.opts.Index.ListUnspent(ctx, hx)
	if err != nil {
		return nil, badRequest("utxos: %v", err)
	}
	n := 0
	for _, u := range utxos {
		if u.Height <= 0 { // mempool output
			continue
		}
		n++
		lines = append(lines, "UTXO #"+pyfmt.Thousands(int64(n))+": tx_hash "+u.TxHash.String()+
			" tx_pos "+pyfmt.Thousands(int64(u.TxPos))+" height "+pyfmt.Thousands(u.Height)+
			" value "+pyfmt.Thousands(u.Value))
		// As upstream: the check follows the line, so limit 0 lists all.
		if n == limit {
			break
		}
	}
	if n == 0 {
		lines = append(lines, "No UTXOs found")
	}
	confirmed, _, _, err := s.opts.Index.Balance(ctx, hx)
	if err != nil {
		return nil, badRequest("balance: %v", err)
	}
	lines = append(lines, "Balance: "+CoinAmount(confirmed)+" "+short)
	return lines, nil
}

func (s *Server) reorg(ctx context.Context, _ *session.Session, args []json.RawMessage) (any, error) {
	count, err := nonNegative(args[0])
	if err != nil {
		return nil, err
	}
	if s.opts.Index == nil || !s.opts.Index.Status().Synced {
		return nil, badRequest("still catching up with daemon")
	}
	if count > 0 {
		if err := s.opts.Index.ForceReorg(ctx, count); err != nil {
			return nil, badRequest("reorg of %s blocks failed: %v", pyfmt.Thousands(int64(count)), err)
		}
	}
	return "scheduled a reorg of " + pyfmt.Thousands(int64(count)) + " blocks", nil
}
