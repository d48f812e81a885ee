// Package metrics exposes the server's Prometheus metrics (names prefixed
// amber_) on its own registry, served over HTTP at /metrics.
//
// Two kinds of values are kept apart. Push-style values are recorded as they
// happen by the session layer: ObserveRequest (request counts, errors by
// code, latency histogram) and AddBytes (traffic). Pull-style values are read
// from small source interfaces at scrape time by a custom collector:
// SessionSource (sessions, throttling, cost), IndexSource (heights, mempool)
// and PluginSource (plugin up/restarts). A nil source simply exports nothing.
//
// Method labels are bounded: a method the KnownMethods option (or the Methods
// allowlist) does not accept is recorded as "invalid", so clients cannot
// grow the label set. All methods are safe on a nil *Metrics (metrics off).
package metrics
