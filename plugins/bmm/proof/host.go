package proof

import (
	"context"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/sdk"
)

// HostSidechain is the Sidechain of a plugin running inside amberd: the
// host services (sdk.Host) read amberd's index of the sidechain node.
func HostSidechain(h sdk.Host) Sidechain { return hostSide{h} }

type hostSide struct{ h sdk.Host }

// Header returns the header at height; beyond amberd's tip it fails with
// get_merkle's message for a block that is not on disk.
func (s hostSide) Header(ctx context.Context, height int64) ([]byte, error) {
	hs, err := s.h.Headers(ctx, height, 1)
	if err != nil {
		return nil, err
	}
	if len(hs) == 1 {
		return hs[0], nil
	}
	tip, err := s.h.Tip(ctx)
	if err != nil {
		return nil, err
	}
	return nil, sdk.Errorf(sdk.KindInvalidArgument, "db error: DBError('block %s not on disk (>%s)')", thousands(height), thousands(tip.Height))
}

// TxMerkle asks the host for the branch.
func (s hostSide) TxMerkle(ctx context.Context, txid sdk.Hash, height int64) ([]string, int, error) {
	m, err := s.h.TxMerkle(ctx, txid, height)
	if err != nil {
		return nil, 0, err
	}
	return merkle.Display(m.Branch), m.Pos, nil
}
