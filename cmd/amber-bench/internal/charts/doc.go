// Package charts draws amber-bench's SVG charts (with gonum/plot) from the
// JSON results of the query, sync and subscribe subcommands: latency
// distributions (from the histograms of package latency), per-method
// percentiles, sync progress and memory over time.
//
// The Parse functions read and check one JSON result; the Charts
// functions turn it into SVG documents. The same input always gives the
// same bytes.
package charts
