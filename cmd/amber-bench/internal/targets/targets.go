package targets

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Version is the file format version written by Save.
const Version = 1

// File is the expected-answers file.
type File struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Generator records how the chain was built (free-form: flags of the
	// chain subcommand).
	Generator map[string]any `json:"generator,omitempty"`
	Height    int64          `json:"height"`
	Tip       string         `json:"tip"`
	// Heavy is the script hash with the longest history ("" if none).
	Heavy   string   `json:"heavy,omitempty"`
	Scripts []Script `json:"scripts"`
}

// Entry is one history entry: a txid and its height (0 or -1: mempool).
type Entry struct {
	TxHash string `json:"tx_hash"`
	Height int64  `json:"height"`
}

// Script is one script hash with its expected answers.
type Script struct {
	ScriptHash string `json:"scripthash"` // Electrum script hash (reversed SHA-256 hex)
	Script     string `json:"script,omitempty"`
	Type       string `json:"type,omitempty"`
	Address    string `json:"address,omitempty"`
	// History is the expected blockchain.scripthash.get_history length;
	// Mempool how many of those are unconfirmed.
	History int `json:"history"`
	Mempool int `json:"mempool"`
	// Confirmed and Unconfirmed are the expected get_balance values (sat).
	Confirmed   int64 `json:"confirmed"`
	Unconfirmed int64 `json:"unconfirmed"`
	// UTXOs is the expected listunspent length.
	UTXOs int `json:"utxos"`
	// Sample holds a few history entries (spread over the history) for
	// transaction.get and transaction.get_merkle requests.
	Sample []Entry `json:"sample,omitempty"`
}

// ScriptHash returns the Electrum script hash of a pkScript: SHA-256,
// byte-reversed, hex.
func ScriptHash(pkScript []byte) string {
	h := sha256.Sum256(pkScript)
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	return fmt.Sprintf("%x", h[:])
}

// Parse decodes and validates a file.
func Parse(data []byte) (*File, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("targets: version %d, want %d", f.Version, Version)
	}
	if len(f.Scripts) == 0 {
		return nil, errors.New("targets: no scripts")
	}
	for i, s := range f.Scripts {
		if len(s.ScriptHash) != 64 {
			return nil, fmt.Errorf("targets: script %d: bad script hash %q", i, s.ScriptHash)
		}
		if s.History < 0 || s.Mempool < 0 || s.Mempool > s.History || s.UTXOs < 0 {
			return nil, fmt.Errorf("targets: script %s: inconsistent counts", s.ScriptHash)
		}
	}
	return &f, nil
}

// Load reads and parses a file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	return Parse(data)
}

// Save writes f as indented JSON.
func (f *File) Save(path string) error {
	f.Version = Version
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("targets: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("targets: %w", err)
	}
	return nil
}

// Largest returns the script with the longest history (the heavy script if
// set), or nil for an empty file.
func (f *File) Largest() *Script {
	var best *Script
	for i := range f.Scripts {
		s := &f.Scripts[i]
		if f.Heavy != "" && s.ScriptHash == f.Heavy {
			return s
		}
		if best == nil || s.History > best.History {
			best = s
		}
	}
	return best
}
