package hostside

import (
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// TestKindTable: every SDK kind has its own Electrum code (none falls back
// to the unknown-kind default by omission), and the table lists each kind
// once with its name.
func TestKindTable(t *testing.T) {
	if len(electrumCodes) != len(sdk.Kinds()) {
		t.Errorf("%d Electrum codes for %d kinds", len(electrumCodes), len(sdk.Kinds()))
	}
	for _, k := range sdk.Kinds() {
		if _, ok := electrumCodes[k]; !ok {
			t.Errorf("kind %v has no Electrum code", k)
		}
	}
	rows := KindTable()
	seen := map[sdk.Kind]bool{}
	for _, r := range rows {
		if seen[r.Kind] || r.Name != r.Kind.String() || r.ElectrumCode != ElectrumCode(r.Kind) {
			t.Errorf("bad row %+v", r)
		}
		seen[r.Kind] = true
	}
	if got := ElectrumCode(sdk.Kind(99)); got != ElectrumInternalError {
		t.Errorf("ElectrumCode(unknown) = %d, want %d", got, ElectrumInternalError)
	}
	if got := ElectrumCode(sdk.KindInvalidArgument); got != ElectrumBadRequest {
		t.Errorf("ElectrumCode(invalid-argument) = %d, want %d", got, ElectrumBadRequest)
	}
}
