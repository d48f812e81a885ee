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
	// SetLogNew and LogNew control the request logging of sessions that
	// start from now on (`log new`, `log all`, `log none`).
	SetLogNew(on bool)
	LogNew() bool
}

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

// PeerInfo is one peer as the `peers` method returns it (docs/protocol.md, Peer discovery).
type PeerInfo struct {
	Host string `json:"host"`
	// Features is the peer's normalised feature object (hosts,
	// genesis_hash, pruning, server_version, protocol_min, protocol_max,
	// ssl_port, tcp_port, ...).
	Features map[string]any `json:"features"`
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
	// Reason is why the peer is bad, or its last failure (Amber extension).
	Reason string `json:"reason,omitempty"`
}
