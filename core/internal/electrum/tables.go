package electrum

import (
	"context"
	"maps"
)

// handlerFunc answers one request. It returns a *jsonrpc.Error for errors the
// client should see.
type handlerFunc func(ctx context.Context, c *call) (any, error)

// method is one entry of a handler table: parameter names (for by-name calls
// and arity), how many are required, and the handler.
type method struct {
	names    []string
	required int
	fn       handlerFunc
}

// table is the method set of one protocol version range. A session starts on
// tables[0] (the full 1.4 set, protocol.md §3) and switches to the table of
// its negotiated version after server.version.
//
// Adding a protocol version (1.6) means adding a table: derive it from the
// previous one with with/without, replace the methods whose shape changes
// (server.version first, block.headers returning a list, ...), and set the
// table-wide rules (versionFirst) that Handle enforces.
type table struct {
	min     Version // lowest negotiated version this table serves
	methods map[string]method
	// versionFirst: server.version must be the first request (1.6+). Not
	// used by 1.4.x; Handle must learn it when a 1.6 table is added.
	versionFirst bool
}

func (t *table) with(min Version, add map[string]method) *table {
	m := maps.Clone(t.methods)
	maps.Copy(m, add)
	return &table{min: min, methods: m, versionFirst: t.versionFirst}
}

func (t *table) without(names ...string) *table {
	m := maps.Clone(t.methods)
	for _, n := range names {
		delete(m, n)
	}
	return &table{min: t.min, methods: m, versionFirst: t.versionFirst}
}

func p(names ...string) []string { return names }

// methods14 is the 1.4 method set. Methods removed in 1.3/1.4
// (blockchain.address.*, block.get_header, block.get_chunk,
// numblocks.subscribe, utxo.get_address) are absent and so answer -32601.
var methods14 = map[string]method{
	"server.version":          {p("client_name", "protocol_version"), 0, serverVersion},
	"server.banner":           {p(), 0, serverBanner},
	"server.donation_address": {p(), 0, serverDonationAddress},
	"server.features":         {p(), 0, serverFeatures},
	"server.peers.subscribe":  {p(), 0, serverPeersSubscribe},
	"server.add_peer":         {p("features"), 1, serverAddPeer},
	"server.ping":             {p(), 0, serverPing},

	"blockchain.headers.subscribe": {p(), 0, headersSubscribe},
	"blockchain.block.header":      {p("height", "cp_height"), 1, blockHeader},
	"blockchain.block.headers":     {p("start_height", "count", "cp_height"), 2, blockHeaders},
	"blockchain.estimatefee":       {p("number", "mode"), 1, estimateFee},
	"blockchain.relayfee":          {p(), 0, relayFee},

	"blockchain.scripthash.get_balance": {p("scripthash"), 1, scripthashGetBalance},
	"blockchain.scripthash.get_history": {p("scripthash"), 1, scripthashGetHistory},
	"blockchain.scripthash.get_mempool": {p("scripthash"), 1, scripthashGetMempool},
	"blockchain.scripthash.listunspent": {p("scripthash"), 1, scripthashListUnspent},
	"blockchain.scripthash.subscribe":   {p("scripthash"), 1, scripthashSubscribe},

	"blockchain.transaction.broadcast":   {p("raw_tx"), 1, transactionBroadcast},
	"blockchain.transaction.get":         {p("tx_hash", "verbose"), 1, transactionGet},
	"blockchain.transaction.get_merkle":  {p("tx_hash", "height"), 2, transactionGetMerkle},
	"blockchain.transaction.id_from_pos": {p("height", "tx_pos", "merkle"), 2, transactionIDFromPos},

	"mempool.get_fee_histogram": {p(), 0, mempoolGetFeeHistogram},
}

// tables lists the handler tables by ascending min version.
var tables []*table

func init() {
	t14 := &table{min: Version{1, 4}, methods: methods14}
	t142 := t14.with(Version{1, 4, 2}, map[string]method{
		"blockchain.scripthash.unsubscribe": {p("scripthash"), 1, scripthashUnsubscribe},
	})
	tables = []*table{t14, t142}
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
