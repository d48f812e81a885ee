package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/pyfmt"
)

// AmberKey is the one getinfo key beyond ElectrumX's: Amber's sync progress,
// plugin states and transaction cache counters live under it so that the other keys are exactly the
// spec's.
const AmberKey = "amber"

func (s *Server) clientStats() ClientStats {
	if s.opts.Stats == nil {
		return ClientStats{}
	}
	return s.opts.Stats()
}

func (s *Server) liveSessions() []*session.Session {
	if s.opts.Sessions == nil {
		return nil
	}
	return s.opts.Sessions.Sessions()
}

func (s *Server) status() index.Status {
	if s.opts.Index == nil {
		return index.Status{}
	}
	return s.opts.Index.Status()
}

func (s *Server) getinfo(context.Context, *session.Session, []json.RawMessage) (any, error) {
	st := s.status()
	cs := s.clientStats()
	sessions := s.liveSessions()
	var errs, logged, pending, subs, withSubs int64
	for _, x := range sessions {
		errs += x.Counters().Errors.Load()
		pending += x.Pending()
		if x.Logged() {
			logged++
		}
		if n := x.Subscriptions(); n > 0 {
			subs += int64(n)
			withSubs++
		}
	}
	counts := map[string]int64{}
	for k, v := range cs.RequestCounts {
		counts[k] += v
	}
	for k, v := range s.RequestCounts() {
		counts[k] += v
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	var plugins []PluginState
	if s.opts.Plugins != nil {
		plugins = s.opts.Plugins()
	}
	if plugins == nil {
		plugins = []PluginState{}
	}
	groups := 0
	if s.opts.Groups != nil {
		groups = len(s.opts.Groups())
	}
	return map[string]any{
		"coin":              s.coinClass(),
		"daemon":            s.daemonLabel(),
		"daemon height":     st.DaemonHeight,
		"db height":         st.DBHeight,
		"db_flush_count":    st.Commits,
		"groups":            groups,
		"history cache":     cacheLine(cs.HistoryCache),
		"merkle txid cache": cacheLine(cs.MerkleCache),
		"pid":               os.Getpid(),
		"peers":             s.peerCounts(),
		"request counts":    counts,
		"request total":     total,
		"sessions": map[string]int64{
			"count": int64(len(sessions)), "count with subs": withSubs, "errors": errs,
			"logged": logged, "pending requests": pending, "subs": subs,
		},
		"txids cache": cacheLine(cs.TxHashesCache),
		"txs sent":    cs.TxsSent,
		"uptime":      pyfmt.Duration(time.Since(s.opts.Start), " "),
		"version":     s.opts.Version,
		AmberKey: map[string]any{
			"sync": map[string]any{
				"synced": st.Synced, "db height": st.DBHeight, "daemon height": st.DaemonHeight,
				"percent": percent(st.DBHeight, st.DaemonHeight), "mempool txs": st.MempoolTxs,
				"mempool bytes": st.MempoolBytes, "reorgs": st.Reorgs, "halted": st.Halted,
				"error": st.Error, "chain events": st.ChainEvents,
				// Forward sync pace over the last minute; eta by blocks.
				"tx per s": math.Round(st.Sync.TxRate), "blocks per s": math.Round(st.Sync.BlockRate*10) / 10,
				"eta seconds": int64(st.Sync.ETA.Seconds()),
			},
			"plugins":  plugins,
			"tx_cache": cs.TxCache,
		},
	}, nil
}

// peerCounts is getinfo's "peers" object (docs/protocol.md, Peer discovery).
func (s *Server) peerCounts() map[string]int {
	c := map[string]int{"bad": 0, "good": 0, "never": 0, "stale": 0, "total": 0}
	if s.opts.Peers == nil {
		return c
	}
	for _, p := range s.opts.Peers.Peers() {
		if _, ok := c[p.Status]; ok && p.Status != "total" {
			c[p.Status]++
		}
		c["total"]++
	}
	return c
}

func percent(have, want int64) float64 {
	if want <= 0 {
		return 100
	}
	p := float64(have) * 100 / float64(want)
	if p > 100 {
		p = 100
	}
	return float64(int(p*100)) / 100
}

// cacheLine is upstream's cache_fmt (session.py _get_info): plain
// integers, comma-separated fields.
func cacheLine(c CacheStats) string {
	return fmt.Sprintf("%d lookups, %d hits, %d entries", c.Lookups, c.Hits, c.Entries)
}

// coinClasses are ElectrumX 1.20.0's Bitcoin class names per network
// (lib/coins.py), which its getinfo reports as "coin".
var coinClasses = map[string]string{
	"mainnet": "BitcoinMainnet", "testnet": "BitcoinTestnet3", "testnet4": "BitcoinTestnet4",
	"signet": "BitcoinSignet", "regtest": "BitcoinRegtest",
}

// coinClass is getinfo's "coin": the coin class name of the configured
// network, else Options.Coin.
func (s *Server) coinClass() string {
	if n := s.opts.Network; n != nil && n.Coin == "Bitcoin" {
		if c, ok := coinClasses[n.Name]; ok {
			return c
		}
	}
	return s.opts.Coin
}
