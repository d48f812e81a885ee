// Package faults holds crash, reorganisation and fault-injection tests of
// the real amberd process against a real btcd regtest node (through the
// e2e harness, core/internal/e2e/harness):
//
//   - kill -9 of amberd at seeded random points during its initial sync and
//     in steady state under mempool churn, restarting on the same database;
//   - reorganisations of depth 1, 6 and REORG_LIMIT, and one deeper than
//     REORG_LIMIT, which amberd must refuse while it keeps answering from
//     its last consistent state;
//   - daemon outages, a slow daemon and a daemon answering HTTP 500 or
//     garbage, injected by Proxy, a small HTTP proxy between amberd and
//     btcd;
//   - an unwritable database directory and a full disk (RLIMIT_FSIZE, and a
//     tiny tmpfs where mounting is permitted).
//
// Every test compares amberd's answers with harness.Model, built from the
// daemon's raw blocks and mempool, once amberd has caught up. Every test
// runs once per store engine (subtests pebble and buntdb); the kill tests
// use fewer kill points on buntdb (5 instead of 20 with AMBER_LONG_TESTS=1)
// and its daemon outage stays 10 s, to keep CI's time in check.
//
// Sizes: the default run (what CI runs) takes a few minutes on two cores;
// -short shrinks the chains and the number of kill points;
// AMBER_LONG_TESTS=1 enlarges them (20 kill points, a 60 s daemon outage).
// AMBER_FAULTS_SEED=n replays the random kill points of a logged seed.
//
// Run with the binaries of `make build`:
//
//	AMBER_BIN=$PWD/bin go test ./core/internal/e2e/faults/
package faults
