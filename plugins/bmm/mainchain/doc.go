// Package mainchain is the BMM plugin's view of the mainchain node: the
// three JSON-RPC calls it needs (getblockcount, getblockhash, getblock with
// verbosity 0), over plugins/internal/daemonrpc, with the block decoded by
// btcd's wire package. It works with any Bitcoin Core-compatible node (bitcoind,
// btcd); nothing Drivechain-specific is required.
//
// Errors keep the rpc client's kinds: sdk.KindUnavailable when the node
// cannot be reached before the context ends, sdk.KindDaemon for a JSON-RPC
// error, sdk.KindInternal for a reply that does not decode.
// IsHeightOutOfRange recognises both nodes' answer to getblockhash past the
// tip (bitcoind -8, btcd -1 "Block number out of range"); getblock returns
// the block as the node serves it, witness data included.
package mainchain
