package electrum

import (
	"context"
	"maps"
	"sort"
)

// handlerFunc answers one request. It returns a *jsonrpc.Error for errors the
// client should see.
type handlerFunc func(ctx context.Context, c *call) (any, error)

// method is one entry of a handler table: parameter names (for by-name calls
// and arity), how many are required, and the handler. extraOK: surplus
// arguments are dropped instead of refused, whatever the table says.
type method struct {
	names    []string
	required int
	fn       handlerFunc
	extraOK  bool
}

// table is the method set of one protocol version range. A session starts on
// tables[0] (the full 1.4 set, protocol.md §3) and switches to the table of
// its negotiated version after server.version.
//
// A protocol version is a table derived from the previous one with
// with/without (methods added, replaced or removed), as upstream's
// set_request_handlers (session.py).
type table struct {
	min     Version // lowest negotiated version this table serves
	methods map[string]method
}

func (t *table) with(min Version, add map[string]method) *table {
	m := maps.Clone(t.methods)
	maps.Copy(m, add)
	c := *t
	c.min, c.methods = min, m
	return &c
}

func (t *table) without(names ...string) *table {
	m := maps.Clone(t.methods)
	for _, n := range names {
		delete(m, n)
	}
	c := *t
	c.methods = m
	return &c
}

func p(names ...string) []string { return names }

// methods14 is the 1.4 method set. Methods removed in 1.3/1.4
// (blockchain.address.*, block.get_header, block.get_chunk,
// numblocks.subscribe, utxo.get_address) are absent and so answer -32601.
//
// server.version drops surplus arguments (positional and named) in every
// version, as upstream's handler takes *extra_args and **extra_kwargs;
// every other method answers them with aiorpcX's -32602 arity error.
var methods14 = map[string]method{
	"server.version":          {p("client_name", "protocol_version"), 0, serverVersion, true},
	"server.banner":           {p(), 0, serverBanner, false},
	"server.donation_address": {p(), 0, serverDonationAddress, false},
	"server.features":         {p(), 0, serverFeatures, false},
	"server.peers.subscribe":  {p(), 0, serverPeersSubscribe, false},
	"server.add_peer":         {p("features"), 1, serverAddPeer, false},
	"server.ping":             {p(), 0, serverPing, false},

	"blockchain.headers.subscribe": {p(), 0, headersSubscribe, false},
	"blockchain.block.header":      {p("height", "cp_height"), 1, blockHeader, false},
	"blockchain.block.headers":     {p("start_height", "count", "cp_height"), 2, blockHeaders, false},
	"blockchain.estimatefee":       {p("number", "mode"), 1, estimateFee, false},
	"blockchain.relayfee":          {p(), 0, relayFee, false},

	"blockchain.scripthash.get_balance": {p("scripthash"), 1, scripthashGetBalance, false},
	"blockchain.scripthash.get_history": {p("scripthash"), 1, scripthashGetHistory, false},
	"blockchain.scripthash.get_mempool": {p("scripthash"), 1, scripthashGetMempool, false},
	"blockchain.scripthash.listunspent": {p("scripthash"), 1, scripthashListUnspent, false},
	"blockchain.scripthash.subscribe":   {p("scripthash"), 1, scripthashSubscribe, false},

	"blockchain.transaction.broadcast":   {p("raw_tx"), 1, transactionBroadcast, false},
	"blockchain.transaction.get":         {p("tx_hash", "verbose"), 1, transactionGet, false},
	"blockchain.transaction.get_merkle":  {p("tx_hash", "height"), 2, transactionGetMerkle, false},
	"blockchain.transaction.id_from_pos": {p("height", "tx_pos", "merkle"), 2, transactionIDFromPos, false},

	"mempool.get_fee_histogram": {p(), 0, mempoolGetFeeHistogram, false},
}

// tables lists the handler tables by ascending min version.
var tables []*table

func init() {
	t14 := &table{min: Version{1, 4}, methods: methods14}
	t142 := t14.with(Version{1, 4, 2}, map[string]method{
		"blockchain.scripthash.unsubscribe": {p("scripthash"), 1, scripthashUnsubscribe, false},
	})
	// 1.6 (protocol.md §7): block.headers as a list, relayfee gone,
	// broadcast_package and mempool.get_info added; estimatefee's mode and
	// the canonical mempool order are already served to every version. A
	// negotiated 1.5 (accepted upstream) gets the 1.4.2 table.
	t16 := t142.with(Version{1, 6}, map[string]method{
		"blockchain.block.headers":                 {p("start_height", "count", "cp_height"), 2, blockHeadersList, false},
		"blockchain.transaction.broadcast_package": {p("raw_txs", "verbose"), 1, transactionBroadcastPackage, false},
		"mempool.get_info":                         {p(), 0, mempoolGetInfo, false},
	}).without("blockchain.relayfee")
	tables = []*table{t14, t142, t16}
}

// tableFor returns the table of the highest min version <= v.
func tableFor(v Version) *table {
	t := tables[0]
	for _, c := range tables {
		if c.min.Compare(v) <= 0 {
			t = c
		}
	}
	return t
}

// removedMethods were client methods of older protocol versions; they stay
// reserved so that no plugin can bring them back under the core's name.
var removedMethods = []string{
	"blockchain.address.get_balance", "blockchain.address.get_history", "blockchain.address.get_mempool",
	"blockchain.address.listunspent", "blockchain.address.subscribe", "blockchain.block.get_header",
	"blockchain.block.get_chunk", "blockchain.numblocks.subscribe", "blockchain.utxo.get_address",
}

// MethodNames lists every core client method name of every protocol
// version, and the removed ones, sorted: the names plugins may not claim.
func MethodNames() []string {
	seen := map[string]bool{}
	for _, t := range tables {
		for name := range t.methods {
			seen[name] = true
		}
	}
	for _, name := range removedMethods {
		seen[name] = true
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
