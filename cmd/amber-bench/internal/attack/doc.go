// Package attack runs the hostile-client load shapes of issue 11 against
// an amberd on 127.0.0.1: while one shape attacks, polite clients make
// paced requests, and the package reports amberd's peak RSS (VmHWM, reset
// before the attack), the polite clients' latency beside a quiet baseline
// of the same clients, and what happened to the attacker (replies, error
// codes, refused and closed connections).
//
// Attackers connect from other loopback addresses (127.0.x.y with x ≥ 1)
// than the polite clients (127.0.0.1), as hostile clients come from other
// addresses than the wallets they would crowd out.
package attack
