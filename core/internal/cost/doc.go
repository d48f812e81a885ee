// Package cost is the resource accounting of client sessions
// (docs/protocol.md, Sessions and costs): each session owns an Account whose cost
// grows with the work it causes and decays with time; the cost, plus a
// share of its groups' cost, sets how many requests the session may run at
// once and how long each request sleeps first. Groups pool the cost of
// sessions from one subnet (IPv4 /24, IPv6 /48 by default; loopback and
// private addresses only with Config.GroupPrivate, session_limits_private)
// and of sessions started in the same 300 s time slice (weight 0.03), and
// keep the cost of closed members for a while so a reconnect inherits it.
//
// Bounds (issue 11.1 and 12.11): one charge adds at most the hard limit
// (Limits.ChargeCeiling), a member counts in its groups, and leaves in
// them when it closes, at most the hard limit (Limits.ShareCeiling), and a
// session's share of its time-slice group is at most its own cost
// (SliceShareCap). So a stranger from another subnet is never throttled
// because of what other sessions of its slice did until it has spent
// half the soft limit itself; a restart herd of polite wallets is never
// throttled however large; a flood of costly sessions opened together
// still reaches its limits at half the cost one session alone would.
// Subnet groups share at weight 1.0 as ElectrumX does.
//
// The package has no I/O and no goroutines: a Model holds the groups and
// live accounts under one mutex; time is time.Now (the tests run in
// testing/synctest bubbles, where it is a fake clock), and
// the periodic work (Refund, ResetDecay, RecalcAll) is driven by the
// caller (package session's Manager.Run).
package cost
