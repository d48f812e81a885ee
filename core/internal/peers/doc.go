// Package peers is Amber's peer discovery (docs/protocol.md, Peer discovery): it keeps
// a table of other Electrum servers, verifies each one on a schedule by
// talking the Electrum protocol to it, answers server.peers.subscribe and
// server.add_peer, announces this server to its peers, and feeds the admin
// peers / add_peer commands and the getinfo peer counts.
//
// # Modes
//
// Options.Mode is the peer_discovery setting:
//
//   - "on" (and any unrecognised value, as upstream): full discovery. Our
//     own identities (Options.Self) and the seeds (Options.Seeds) are noted
//     and monitored; verified peers teach us up to two new peers each;
//     incoming server.add_peer is honoured; we announce ourselves with
//     server.add_peer when Options.Announce is set.
//   - "self": only our own identities are verified (by connecting to
//     ourselves) and served by server.peers.subscribe. No seeds, no peers
//     learned from others, no announcements, server.add_peer returns false,
//     admin add_peer is ignored. Upstream ElectrumX documents this meaning
//     but its code disables everything; Amber implements the
//     documented intent because the issue asks for three distinct modes.
//   - "off", "", "no", "none", "false": the subsystem is disabled:
//     server.peers.subscribe returns [], server.add_peer returns false, the
//     admin view is empty.
//
// # Behaviour chosen where upstream is silent or wrong
//
//   - Private networks: peers whose host or connected address is private,
//     loopback or link-local are ignored (upstream: "not public") unless
//     Options.AllowPrivate is set. With AllowPrivate, private peers count as
//     public, the per-address diversity check is skipped for them,
//     and two peers on the same private IP are distinct when they have
//     different ports (several servers on one machine); public peers are
//     merged by host name or IP as upstream does.
//   - The add_peer rate-limit table is pruned of OLD entries after a
//     successful verification; upstream's inverted condition dropped the
//     recent ones (docs/protocol.md, Upstream quirks 3).
//   - server.add_peer considers the first host of features.hosts; a Go map
//     has no order, so "first" is the smallest host name.
//   - A peer marked bad is not contacted again: each later wake-up counts as
//     a failed try, so it is forgotten after 3 tries (upstream reconnects but
//     the outcome is the same). The reason is kept and shown by Peers.
//   - IPv4/IPv6 families are left to the dialer (one attempt per port).
//   - The blacklist is fetched only when Options.BlacklistURL is non-empty.
//
// # Transport
//
// Each verification is one session over newline-delimited JSON-RPC: SSL
// first (TLS without certificate verification, as upstream accepts
// self-signed peers), then TCP, then ports announced since the last try.
// Onion peers, and every peer with Options.ForceProxy, go through the
// SOCKS5 proxy (golang.org/x/net/proxy); without a detected proxy they are
// not contacted. Requests time out after 30 s (120 s over the proxy).
//
// # Use
//
// The Manager satisfies the electrum package's Peers interface
// (PeersSubscribe, AddPeer); the admin RPC uses Peers, AddAdminPeer and
// Counts. Start Run once our own services listen: our identities are
// verified by connecting to ourselves and only then served.
//
// The network is injectable (Options.Dialer, Resolver) so the tests run
// whole verification sessions against fake peers on 127.0.0.1; they run the
// retry schedule in testing/synctest bubbles, where its hours pass at once.
package peers
