// Package coins defines the chains Amber can index: for each supported
// (coin, network) pair it holds the btcd chain parameters, the genesis hash,
// the daemon and Electrum default ports, the reorg limit and the few other
// per-coin knobs the server needs, and converts between addresses and output
// scripts for that network.
//
// Only Bitcoin is defined (mainnet, testnet3, testnet4, signet, regtest).
// Names follow ElectrumX: COIN is "Bitcoin" (or KY15's "BitcoinSegwit") and NET
// is "mainnet", "testnet", "testnet4", "signet" or "regtest".
package coins
