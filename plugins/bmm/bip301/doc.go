// Package bip301 reads and writes BIP301 "BMM Accept" messages: the
// OP_RETURN outputs a mainchain miner puts into its coinbase to accept
// (blind-merge-mine) one sidechain block, identified by its block hash h*.
//
// The byte layout is BIP301's (bitcoin/bips bip-0301.mediawiki, checked
// against its reference code, LayerTwo-Labs/bip300301_messages):
//
//	0x6a                OP_RETURN
//	D1 61 73 68         message header
//	<1 byte>            sidechain number (0-255)
//	<32 bytes>          h*, internal byte order (raw double-SHA256 output)
//
// That raw layout (38 bytes) is what the reference code builds and parses.
// Parse also accepts the standard-relay form in which the 37 bytes after
// OP_RETURN are one direct push (0x6a 0x25 <37 bytes>, 39 bytes), as some
// wallets and miners wrap OP_RETURN data. Nothing else matches: a script
// with extra bytes after h*, another push opcode, or a shorter payload is
// not a BMM Accept.
package bip301
