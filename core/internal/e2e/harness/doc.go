// Package harness runs Amber's real processes for black-box tests: it finds
// or builds the amberd, amberctl and amber-bitcoind binaries (Binaries),
// starts amberd against a btcd regtest node with a clean ElectrumX-style
// environment (StartAmberd), talks the Electrum protocol to it over TCP
// (Client), and computes every expected answer independently from the
// daemon's raw blocks and mempool (Model).
//
// Model is the oracle of the acceptance tests. It deliberately shares no code
// with core/internal/index, core/internal/electrum or core/merkle:
// it is written plainly with maps from the protocol notes (docs/protocol.md, Encodings).
//
// The package is not a test package so that other test packages (the e2e
// acceptance tests, the real-wallet tests) can import it.
package harness
