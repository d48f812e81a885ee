package store

import (
	"encoding/json"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// On disk, hashes are display hex strings so that the file stays readable.

type hexHash sdk.Hash

func (h hexHash) MarshalText() ([]byte, error) { return []byte(sdk.Hash(h).String()), nil }

func (h *hexHash) UnmarshalText(b []byte) error {
	v, err := sdk.ParseHash(string(b))
	*h = hexHash(v)
	return err
}

type acceptRec struct {
	H    hexHash `json:"h"`
	Vout uint32  `json:"vout"`
}

type blockRec struct {
	Height  int64       `json:"height"`
	Hash    hexHash     `json:"hash"`
	Prev    hexHash     `json:"prev"`
	Accepts []acceptRec `json:"accepts,omitempty"`
}

type entryRec struct {
	Hash   hexHash `json:"hash"`
	Height int64   `json:"height"`
	TxPos  int     `json:"tx_pos"`
	Vout   uint32  `json:"vout"`
}

func encodeBlock(b Block) string {
	r := blockRec{Height: b.Height, Hash: hexHash(b.Hash), Prev: hexHash(b.Prev)}
	for _, a := range b.Accepts {
		r.Accepts = append(r.Accepts, acceptRec{hexHash(a.HStar), a.Vout})
	}
	return marshal(r)
}

func decodeBlock(s string) (Block, error) {
	var r blockRec
	if err := unmarshal(s, &r); err != nil {
		return Block{}, err
	}
	b := Block{Height: r.Height, Hash: sdk.Hash(r.Hash), Prev: sdk.Hash(r.Prev)}
	for _, a := range r.Accepts {
		b.Accepts = append(b.Accepts, Accept{sdk.Hash(a.H), a.Vout})
	}
	return b, nil
}

func encodeEntry(e Entry) string {
	return marshal(entryRec{hexHash(e.MainHash), e.MainHeight, e.TxPos, e.Vout})
}

func decodeEntry(s string) (Entry, error) {
	var r entryRec
	if err := unmarshal(s, &r); err != nil {
		return Entry{}, err
	}
	return Entry{sdk.Hash(r.Hash), r.Height, r.TxPos, r.Vout}, nil
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("bmm store: marshal %T: %v", v, err)) // only fixed record types reach here
	}
	return string(b)
}

func unmarshal(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("corrupt record %q: %w", s, err)
	}
	return nil
}
