// Package admin implements amberd's admin RPC (README; docs/protocol.md, Admin RPC): the
// session Factory of rpc:// sessions, whose handlers answer the operator methods getinfo,
// sessions, groups, peers, add_peer, disconnect, log, daemon_url, query,
// reorg and stop from the server's live state.
//
// Everything it reads or drives comes through small interfaces in Options
// (the index, the daemon plugin's URL switch, the session list and groups,
// the peer manager), so each can be faked in tests. CheckListenAddr guards
// the listen address; Guard closes a connection on its first line that is
// not JSON-RPC (HTTP included) and, with a cookie (WriteCookie, rpc_auth:
// cookie), refuses requests that do not carry it.
package admin
