package merkle

import "github.com/amber-electrum/amber/sdk"

// Display returns branch as the protocol's hex strings (display order,
// byte-reversed), the form get_merkle and bmm_merkle answer with.
func Display(branch []sdk.Hash) []string {
	out := make([]string, len(branch))
	for i, h := range branch {
		out[i] = h.String()
	}
	return out
}

// ParseDisplay is the inverse of Display.
func ParseDisplay(branch []string) ([]sdk.Hash, error) {
	out := make([]sdk.Hash, len(branch))
	for i, s := range branch {
		h, err := sdk.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
