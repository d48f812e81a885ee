// Package follow keeps the BMM store in step with the mainchain node.
//
// From the configured start height it reads every mainchain block
// (getblockhash, getblock <hash> 0), takes the BIP301 BMM Accepts of the
// plugin's sidechain number from the coinbase and records the block in the
// store, one store transaction per block. Before extending, it checks that
// the cursor block is still on the node's best chain, and every new block's
// parent hash must equal the cursor's hash; on a mismatch (a mainchain
// reorganisation) it disconnects cursor blocks one by one, removing their
// commitments, until it reaches the fork point, then follows the new branch.
// Every followed block's record is kept, so a reorg of any depth is undone.
// When the first followed block itself is no longer on the best chain (the
// node restarted with a new chain, as btcd regtest does, or reorganised
// below the start height) nothing stored is trusted: the store is emptied
// in one transaction and following restarts at the start height.
//
// BIP301 allows one BMM Accept per sidechain per mainchain block: a
// coinbase with several Accepts for the plugin's sidechain number records
// none of them (the reference enforcer rejects such a block as
// MultipleBmmBlocks), logged once with the block hash.
//
// Every mainchain call is bounded by Options.CallTimeout; a call that
// cannot reach the node marks it down and any answer marks it up again.
// MainDown reports that state to the proof builder, so requests fail fast
// while the node is known to be down.
//
// Sync catches up once; Run polls with Sync until its context ends and
// never gives up on errors (an unreachable node is retried after the poll
// interval, or at once when MainDown is asked while the node is down).
package follow
