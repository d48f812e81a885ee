package store

import (
	"encoding/json"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// On disk, hashes are display hex strings (sdk.Hash's text form) so that
// the file stays readable.

type acceptRec struct {
	H    sdk.Hash `json:"h"`
	Vout uint32   `json:"vout"`
}

type blockRec struct {
	Height  int64       `json:"height"`
	Hash    sdk.Hash    `json:"hash"`
	Prev    sdk.Hash    `json:"prev"`
	Accepts []acceptRec `json:"accepts,omitempty"`
}

type entryRec struct {
	Hash   sdk.Hash `json:"hash"`
	Height int64    `json:"height"`
	TxPos  int      `json:"tx_pos"`
	Vout   uint32   `json:"vout"`
}

func encodeBlock(b Block) string {
	r := blockRec{Height: b.Height, Hash: b.Hash, Prev: b.Prev}
	for _, a := range b.Accepts {
		r.Accepts = append(r.Accepts, acceptRec{a.HStar, a.Vout})
	}
	return marshal(r)
}

func decodeBlock(s string) (Block, error) {
	var r blockRec
	if err := unmarshal(s, &r); err != nil {
		return Block{}, err
	}
	b := Block{Height: r.Height, Hash: r.Hash, Prev: r.Prev}
	for _, a := range r.Accepts {
		b.Accepts = append(b.Accepts, Accept{a.H, a.Vout})
	}
	return b, nil
}

func encodeEntry(e Entry) string {
	return marshal(entryRec{e.MainHash, e.MainHeight, e.TxPos, e.Vout})
}

func decodeEntry(s string) (Entry, error) {
	var r entryRec
	if err := unmarshal(s, &r); err != nil {
		return Entry{}, err
	}
	return Entry{r.Hash, r.Height, r.TxPos, r.Vout}, nil
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
