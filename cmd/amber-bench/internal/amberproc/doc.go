// Package amberproc runs an amberd process for a benchmark: a clean
// environment (PATH and HOME plus the configuration, like the e2e harness
// and the "Reproduce" recipe of docs/benchmarks.md), free 127.0.0.1 ports
// for an Electrum TCP service and the admin RPC, a fresh database
// directory, output to a log file, amberd in its own process group (its
// amber-bitcoind child joins it). Info polls the admin RPC's getinfo; Stop
// ends amberd with SIGTERM (a clean shutdown that flushes the index) and
// reaps what is left of the group.
//
// Binaries finds amberd and the plugin in $AMBER_BIN or builds them, for
// tests.
package amberproc
