// Package targets is the expected-answers file of amber-bench: the script
// hashes a load run queries, with what a correct Electrum server must answer
// for each (history length, balance, unspent count, sample history entries).
//
// `amber-bench chain` writes it (Build scans the daemon's chain and mempool,
// a small independent model); `amber-bench query` and `flood` read it (Load)
// to pick requests and check answers.
package targets
