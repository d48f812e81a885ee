// Package latency records request latencies in a log-linear histogram
// (relative error below 1%, fixed memory) and answers nearest-rank
// percentiles. A Recorder is safe for concurrent use.
package latency
