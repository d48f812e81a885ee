// Package bmmtest holds the BMM plugin's real-node integration tests: two
// btcd regtest nodes on loopback, S (the sidechain, whose block hashes are
// the h* values) and M (the mainchain), with mainchain blocks carrying
// BIP301 BMM Accepts built by the test and submitted with submitblock.
//
// The package has no code of its own. Its tests start the nodes with the
// host's core/regtest helpers; that import lives only in _test.go files, so
// no plugin binary depends on the host (the architecture test checks the
// non-test dependencies of plugins/...).
package bmmtest
