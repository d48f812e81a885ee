package subbench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/core/regtest"
)

// Script is one subscribed output script.
type Script struct {
	PkScript []byte
	Hash     string // Electrum script hash (ScriptHash)
}

// ScriptHash is the Electrum script hash of pkScript: the sha256 of the
// script, byte-reversed, in hex.
func ScriptHash(pkScript []byte) string {
	sum := sha256.Sum256(pkScript)
	slices.Reverse(sum[:])
	return hex.EncodeToString(sum[:])
}

// DeriveScripts returns n P2WPKH scripts of keys offset .. offset+n-1 of
// seed (regtest.DeriveKey): the same arguments give the same scripts. The
// keys are derived on all CPUs.
func DeriveScripts(seed int64, offset, n int) ([]Script, error) {
	if n < 0 || offset < 0 {
		return nil, fmt.Errorf("derive scripts: offset %d, count %d", offset, n)
	}
	out := make([]Script, n)
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				k := regtest.DeriveKey(seed, offset+i, &chaincfg.RegressionNetParams)
				ps, err := k.PkScript(regtest.P2WPKH)
				if err != nil {
					errs[w] = fmt.Errorf("derive script %d: %w", offset+i, err)
					return
				}
				out[i] = Script{PkScript: ps, Hash: ScriptHash(ps)}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AutoOffset is the first candidate key-index offset for a chain whose tip
// is at height tip when n scripts are needed: far above the indices the
// chain generator and the wallet's change key use, and different at every
// tip height. FreshOffset moves on from it past earlier runs.
func AutoOffset(tip int64, n int) int {
	return 1<<32 + int(tip)*max(n, 1)
}

// FreshOffset returns the first offset start + k*n (k < 1000) whose first
// script (the funded script of session 0) has no history on the Electrum
// server at addr, so that a run never reuses the scripts of an earlier run
// at the same tip (one that mined no block). has reports whether a script
// hash has history.
func FreshOffset(ctx context.Context, seed int64, start, n int, has func(ctx context.Context, sh string) (bool, error)) (int, error) {
	for k := range 1000 {
		off := start + k*max(n, 1)
		s, err := DeriveScripts(seed, off, 1)
		if err != nil {
			return 0, err
		}
		used, err := has(ctx, s[0].Hash)
		if err != nil {
			return 0, err
		}
		if !used {
			return off, nil
		}
	}
	return 0, fmt.Errorf("no fresh key offset from %d in 1000 steps of %d", start, n)
}
