// Package mix generates the "realistic wallet mix" of Electrum requests one
// amber-bench session sends, and checks answers against the expected values
// of a targets file.
//
// A Wallet owns a few script hashes. Its first requests are server.version
// and blockchain.headers.subscribe; then it repeats a cycle: for each of its
// script hashes scripthash.subscribe, get_history, listunspent and
// get_balance, then transaction.get and transaction.get_merkle for a few of
// their history entries, then block.header at a random height,
// estimatefee and server.ping.
package mix
