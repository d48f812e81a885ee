package admin

import (
	"context"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/session"
)

// IndexStatus is what getinfo reads from the index.
type IndexStatus interface {
	Status() index.Status
}

// Index is what the admin RPC needs from the chain index (*index.Index
// satisfies it).
type Index interface {
	IndexStatus
	History(ctx context.Context, hx index.HashX, limit int) ([]index.Confirmed, []index.MempoolEntry, error)
	ListUnspent(ctx context.Context, hx index.HashX) ([]index.UTXO, int, error)
	Balance(ctx context.Context, hx index.HashX) (confirmed, unconfirmed int64, nUTXOs int, err error)
	ForceReorg(ctx context.Context, n int) error
}

// DaemonSwitcher replaces the daemon URL list of the daemon plugin at run
// time (sdk.ChainBackend satisfies it).
type DaemonSwitcher interface {
	SetDaemonURLs(ctx context.Context, urls []string) error
}

// SessionSource lists the live sessions (*session.Manager satisfies it).
type SessionSource interface {
	Sessions() []*session.Session
}

// Optional session methods, used when the session package provides them.
type (
	extraCoster      interface{ ExtraCost() float64 }
	concurrencyTaker interface{ ConcurrencyTarget() int }
)

// GroupInfo is one session group as the session manager reports it.
type GroupInfo struct {
	Name string
	// Members are the ids of the group's live sessions.
	Members []uint64
	// RetainedCost is the cost kept from sessions that have closed.
	RetainedCost float64
}

// PeerManager is the peer-discovery component.
type PeerManager interface {
	// Peers returns every known peer.
	Peers() []PeerInfo
	// AddPeer notes a peer given as an IRC-style real name ("host v1.4 s t")
	// and verifies it asynchronously; ignored peers are not an error.
	AddPeer(ctx context.Context, realName string) error
}

// PeerInfo is one peer as the `peers` method returns it (admin-rpc.md §2).
type PeerInfo struct {
	Host     string       `json:"host"`
	Features PeerFeatures `json:"features"`
	// Source is where the peer was learned: "env", "coins.py", "RPC", a
	// peer host, or "peer" once verified.
	Source string `json:"source"`
	// IPAddr is the resolved address; "" is sent as null.
	IPAddr   string `json:"ip_addr"`
	LastGood int64  `json:"last_good"` // Unix seconds, 0 = never
	LastTry  int64  `json:"last_try"`  // Unix seconds, 0 = never
	TryCount int    `json:"try_count"`
	// Status is good, stale, never or bad.
	Status string `json:"status"`
}

// PeerFeatures is a peer's normalised feature object.
type PeerFeatures struct {
	Hosts         map[string]PeerPorts `json:"hosts"`
	GenesisHash   string               `json:"genesis_hash,omitempty"`
	HashFunction  string               `json:"hash_function,omitempty"`
	Pruning       *int64               `json:"pruning"`
	ServerVersion string               `json:"server_version"`
	ProtocolMin   string               `json:"protocol_min"`
	ProtocolMax   string               `json:"protocol_max"`
	SSLPort       *int                 `json:"ssl_port,omitempty"`
	TCPPort       *int                 `json:"tcp_port,omitempty"`
}

// PeerPorts are the ports of one host of a peer; nil means none.
type PeerPorts struct {
	TCPPort *int `json:"tcp_port"`
	SSLPort *int `json:"ssl_port"`
}
