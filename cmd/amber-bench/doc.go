// Command amber-bench is Amber's Electrum-protocol load generator. Every
// subcommand works only on 127.0.0.1 and stops by itself (bounded by count
// and time).
//
//	amber-bench chain  [flags]  build a deterministic regtest chain and write
//	                            the expected answers (targets JSON)
//	amber-bench bigchain [flags] a large mainnet-like chain built with
//	                            submitblock (no mempool), 1,000,000 txs by
//	                            default, and its expected answers
//	amber-bench query  [flags]  N concurrent wallet-like sessions; rate and
//	                            p50/p99/p999 latency per method, errors by
//	                            code; -echo adds an in-process echo server
//	                            run as the transport's physical limit
//	amber-bench flood  [flags]  well-behaved paced wallets, without and then
//	                            with one pipelining get_history flooder
//	amber-bench sync   [flags]  raw block fetch rate of the daemon beside the
//	                            time a fresh amberd takes to index the same
//	                            chain (blocks/s, tx/s, peak RSS, index size,
//	                            CPU, start-up on the synced index; -engine)
//	amber-bench subscribe [flags] 10,000 sessions x 10 script hash
//	                            subscriptions: memory per idle session and
//	                            the time from a mempool payment or a block to
//	                            each session's last notification
//	amber-bench chart  [flags]  SVG charts (gonum/plot) from the JSON results
//	                            of query, sync and subscribe
//	amber-bench attack [flags] <name>  one hostile-client load shape (issue
//	                            11) beside polite clients: peak RSS, p99
//	                            ratio to a quiet baseline, attacker outcome
//
// .ci/bench runs them all in one go, as docs/benchmarks.md was made;
// `.ci/bench issue10` runs bigchain and sync per engine (issue #10).
//
// Each subcommand prints a human report on stdout (or JSON with -json) and a
// live status line on stderr. See docs/benchmarks.md for measured numbers
// and the exact commands.
package main
