// Package subbench is the engine of `amber-bench subscribe`: it derives
// fresh P2WPKH scripts with no history, opens many idle Electrum sessions
// that subscribe to headers and to those scripts, funds one script of every
// session (a mempool event), mines blocks (block events) and records, per
// session, when the last notification each event should bring arrived
// (Book), with the sessions that never got it counted rather than hidden.
package subbench
