package peers

import "testing"

// StartLyingPeer starts a fake Electrum peer on 127.0.0.1 whose
// server.features reports genesis instead of ours, for the black-box
// acceptance test. It returns its port.
func StartLyingPeer(t *testing.T, genesis string) int {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) { f.Genesis = genesis })
	return fp.Port
}
