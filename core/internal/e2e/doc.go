// Package e2e holds Amber's black-box acceptance tests. Each test starts its
// own btcd v0.24.2 regtest node, builds a chain with core/regtest, starts the
// real amberd binary (with its amber-bitcoind plugin) through the harness
// package, and compares every answer with the harness's independent Model of
// the daemon's chain and mempool.
//
// The tests need btcd on PATH (or in $HOME/go/bin); without it they skip,
// unless CI is set, in which case they fail. The binaries come from
// $AMBER_BIN (make test) or are built once per run.
package e2e
