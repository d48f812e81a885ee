// Package regtest runs real btcd v0.24.2 regression-test nodes from Go and
// builds realistic chains on them. It is used by integration tests and by the
// devnet and load tools under cmd/.
//
// It has three parts:
//
//   - Node (node.go) starts and stops a btcd process on 127.0.0.1 with a free
//     RPC port and a private data directory; Client (rpc.go) is a tiny
//     JSON-RPC client with the handful of calls tests need.
//   - Wallet (wallet.go, sign.go) is a deterministic key and UTXO manager:
//     keys derived from a seed, P2PKH, P2WPKH, P2SH-P2WPKH and BIP86 P2TR
//     scripts, UTXO tracking from scanned blocks and its own transactions,
//     and signing with fees computed from the real virtual size.
//   - Generate (generate.go) mines a chain with many transactions over many
//     scripts, optional same-block spends, a long-history script and
//     unconfirmed chains left in the mempool.
//   - GenerateFast (fastgen.go, fastshape.go, block.go) builds large
//     mainnet-like chains without the mempool: its own UTXO set, signing on
//     all cores, blocks assembled here (BIP34 coinbase, witness commitment,
//     merkle root, regtest proof of work) and sent with submitblock, on a
//     fresh node, deterministic from a seed. WriteFast and SubmitBlocks
//     (fastfile.go) build the same chain into a file first, for a btcd
//     started with a checkpoint at its tip (CheckpointArg), which then
//     skips the script checks; fastsign.go is its nonce-pool signer.
//
// btcd quirks that shape this package (see the lab notes): the regtest
// database is deleted every time btcd starts, so a chain lives only as long as
// its process; witness and taproot spends are rejected until the tip reaches
// height 431 (SegwitHeight); coinbases mature after 100 blocks; and btcd
// needs "jsonrpc" in every request and integer verbosity arguments.
package regtest
