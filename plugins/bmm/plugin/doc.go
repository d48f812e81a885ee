// Package plugin is the BMM plugin as amberd sees it: configuration,
// Describe, the method declaration and the method call, wired to packages
// store, follow, mainchain and proof. Command bmm (the parent directory)
// only serves it with sdk.Serve.
//
// Configuration block (plugins.bmm.config in amberd's configuration), a JSON
// object; numbers may also be given as decimal strings (environment
// overrides):
//
//	mainchain_url     required  user:pass@host[:port] of the mainchain node's
//	                            JSON-RPC (port 8332 when omitted)
//	sidechain_number  required  0-255, the sidechain's BIP301 number
//	start_height      0         first mainchain height followed
//	db_path           required  the plugin's buntdb file
//	poll_interval     "5s"      how often the mainchain is polled (Go duration
//	                            or seconds)
//	mainchain_timeout "10s"     bound on the mainchain calls of one request
//	                            and on each call of the follower; past it the
//	                            request fails with DAEMON_ERROR. While the
//	                            follower's last call found the node down,
//	                            requests fail at once instead
//
// An unknown key, or a bad value, is a KindInvalidArgument error naming the
// key. The plugin needs amberd's host services (the sidechain's headers and
// merkle branches): Configure fails with KindUnavailable without them.
//
// The method: blockchain.transaction.bmm_merkle(tx_hash, height), from
// protocol 1.4, declared with cost 1.0. docs/bmm.md prices it as get_merkle
// (0.1 to about 0.35 plus n/2500 for an n-transaction block) plus 1.0 when
// a mainchain call was needed; every answered call makes one (getblockhash,
// getblock, getblockhash again), and the host charges the declared cost only, so the
// get_merkle part is left out: a slight under-charge for large blocks.
//
// docs/bmm.md states what a light client verifies and how the plugin
// answers, errors included.
package plugin
