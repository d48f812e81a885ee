// Package parity is the differential test of Amber against ElectrumX
// 1.20.0: scripted sessions (pre-version requests, negotiation, every
// method with good and bad parameters, JSON-RPC framing errors, batches,
// oversized lines) run against a real amberd on a btcd regtest chain, and
// every answer is checked against testdata/electrumx-1.20.0.json, a table
// of ElectrumX 1.20.0's answers (with aiorpcX 0.25.0) written from its
// code, each row citing the file and lines it comes from.
//
// The test needs btcd (see package e2e); without it it skips unless CI is
// set.
package parity
