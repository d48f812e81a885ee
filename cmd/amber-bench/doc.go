// Command amber-bench is Amber's Electrum-protocol load generator. Every
// subcommand works only on 127.0.0.1 and stops by itself (bounded by count
// and time).
//
//	amber-bench chain  [flags]  build a deterministic regtest chain and write
//	                            the expected answers (targets JSON)
//	amber-bench query  [flags]  N concurrent wallet-like sessions; rate and
//	                            p50/p99/p999 latency per method, errors by
//	                            code; -echo adds an in-process echo server
//	                            run as the transport's physical limit
//	amber-bench flood  [flags]  well-behaved paced wallets, without and then
//	                            with one pipelining get_history flooder
//
// Each subcommand prints a human report on stdout (or JSON with -json) and a
// live status line on stderr. See docs/benchmarks.md for measured numbers
// and the exact commands.
package main
