package mix

import (
	"math/rand/v2"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
)

// Protocol is the Electrum protocol version the wallets negotiate.
const Protocol = "1.4"

// Method names of the mix.
const (
	Version      = "server.version"
	HeadersSub   = "blockchain.headers.subscribe"
	Subscribe    = "blockchain.scripthash.subscribe"
	History      = "blockchain.scripthash.get_history"
	ListUnspent  = "blockchain.scripthash.listunspent"
	Balance      = "blockchain.scripthash.get_balance"
	TxGet        = "blockchain.transaction.get"
	Merkle       = "blockchain.transaction.get_merkle"
	BlockHeader  = "blockchain.block.header"
	EstimateFee  = "blockchain.estimatefee"
	Ping         = "server.ping"
	clientString = "amber-bench"
)

// Request is one request of the mix. Script is the target it is about
// (script-hash requests), Entry the history entry (transaction requests).
type Request struct {
	Method string
	Params []any
	Script *targets.Script
	Entry  *targets.Entry
}

// Config shapes the wallets.
type Config struct {
	// Scripts are the script hashes wallets draw theirs from (required).
	Scripts []targets.Script
	// Height is the chain height block.header requests stay within.
	Height int64
	// PerWallet is how many script hashes a wallet owns (default 3).
	PerWallet int
	// Samples is how many history entries per script hash a cycle fetches
	// with transaction.get and get_merkle (default 2).
	Samples int
}

// Wallet is one session's request generator. Not safe for concurrent use.
type Wallet struct {
	cfg     Config
	rng     *rand.Rand
	own     []*targets.Script
	queue   []Request
	started bool
	cycles  int
}

// NewWallet returns a wallet drawing its choices from rng.
func NewWallet(cfg Config, rng *rand.Rand) *Wallet {
	if cfg.PerWallet <= 0 {
		cfg.PerWallet = 3
	}
	if cfg.Samples <= 0 {
		cfg.Samples = 2
	}
	w := &Wallet{cfg: cfg, rng: rng}
	for _, i := range rng.Perm(len(cfg.Scripts))[:min(cfg.PerWallet, len(cfg.Scripts))] {
		w.own = append(w.own, &cfg.Scripts[i])
	}
	return w
}

// Cycles returns how many cycles the wallet started.
func (w *Wallet) Cycles() int { return w.cycles }

// Next returns the next request.
func (w *Wallet) Next() Request {
	if len(w.queue) == 0 {
		w.refill()
	}
	r := w.queue[0]
	w.queue = w.queue[1:]
	return r
}

// Restart makes the wallet begin again with server.version, as after a
// reconnection.
func (w *Wallet) Restart() {
	w.queue = w.queue[:0]
	w.started = false
}

func (w *Wallet) refill() {
	if !w.started {
		w.started = true
		w.queue = append(w.queue,
			Request{Method: Version, Params: []any{clientString, Protocol}},
			Request{Method: HeadersSub})
	}
	w.cycles++
	for _, s := range w.own {
		sh := s.ScriptHash
		for _, m := range []string{Subscribe, History, ListUnspent, Balance} {
			w.queue = append(w.queue, Request{Method: m, Params: []any{sh}, Script: s})
		}
	}
	for _, s := range w.own {
		if len(s.Sample) == 0 {
			continue
		}
		for range w.cfg.Samples {
			e := &s.Sample[w.rng.IntN(len(s.Sample))]
			w.queue = append(w.queue, Request{Method: TxGet, Params: []any{e.TxHash}, Script: s, Entry: e})
			if e.Height > 0 {
				w.queue = append(w.queue, Request{Method: Merkle, Params: []any{e.TxHash, e.Height}, Script: s, Entry: e})
			}
		}
	}
	w.queue = append(w.queue,
		Request{Method: BlockHeader, Params: []any{w.rng.Int64N(w.cfg.Height + 1)}},
		Request{Method: EstimateFee, Params: []any{[]int{1, 2, 6, 25}[w.rng.IntN(4)]}},
		Request{Method: Ping})
}
