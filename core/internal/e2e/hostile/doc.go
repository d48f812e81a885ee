// Package hostile is the hostile-client suite of issue 11 and 12.13: each
// test starts a real amberd (with a btcd regtest node) and attacks it over
// real sockets the way one hostile client could, then asserts the bound
// the attack must meet: amberd's peak RSS (VmHWM, reset before the
// attack), a polite client's errors (none) and its latency as a ratio to
// a quiet baseline measured in the same test, and that no new session is
// refused because of the attacker.
//
// Attackers connect from other loopback /24s (127.0.x.y, x ≥ 1) than the
// polite client (127.0.0.1), so that per-address and per-subnet caps and
// the subnet cost groups can tell them apart; the amberd under test
// applies those caps and groups to private addresses
// (session_limits_private), and the tests check that the attackers' cost
// stays in their groups, not the polite client's.
package hostile
