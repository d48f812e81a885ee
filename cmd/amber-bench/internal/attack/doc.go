// Package attack runs the hostile-client load shapes of issue 11 against
// an amberd on 127.0.0.1: while one shape attacks, polite clients make
// paced requests, and the package reports amberd's peak RSS (VmHWM, reset
// before the attack), the polite clients' latency beside a quiet baseline
// of the same clients, and what happened to the attacker (replies, error
// codes, refused and closed connections).
//
// Attackers connect from other loopback addresses (127.1.x.y, 250 to a
// /24; 127.0.1.1 with -same-address) than the polite clients (127.2.i.1,
// each in its own /24), as hostile clients come from other addresses
// than the wallets they would crowd out. Loopback addresses are exempt
// from amberd's per-address caps and have no subnet cost group unless
// session_limits_private is set: set it to measure as for public clients.
// Run each attack on a fresh amberd: cost retained by an attacker's
// groups outlives it (issue 11.1).
package attack
