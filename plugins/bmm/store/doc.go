// Package store is the BMM plugin's own database (a buntdb file): which
// mainchain block accepted which sidechain block.
//
// Keys:
//
//	meta             {"sidechain":N,"start_height":H}: what the file was built for
//	blk:<height>     one record per followed mainchain block: its hash, its
//	                 parent's hash and the BMM Accepts (h*, output index) of
//	                 the plugin's sidechain in its coinbase
//	hs:<h* hex>      the index: h* -> mainchain block hash and height (the
//	                 coinbase is always transaction 0) and the output index
//
// The highest blk record is the follow cursor. Connect writes one block (its
// blk record and new hs entries) in one transaction; Disconnect removes the
// cursor block and exactly the hs entries it added, which is the undo data
// for a mainchain reorganisation. When a sidechain block is accepted in
// more than one mainchain block, the earliest one is kept.
//
// Crash safety: buntdb appends each transaction to its file in a single
// write and the store fsyncs every commit. A torn write (power loss) can
// still leave a prefix of one transaction whose commands buntdb applies one
// by one, so Open reconciles the index with the blk records, which are the
// truth: hs entries without a matching blk record are dropped and missing
// ones re-added. A file built for another sidechain number or start height
// is wiped (its meta says so).
package store
