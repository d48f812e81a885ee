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
// A reorg that replaces the start block itself empties the store and
// following restarts at the start height.
//
// Sync catches up once; Run polls with Sync until its context ends and
// never gives up on errors (an unreachable node is retried after the poll
// interval).
package follow
