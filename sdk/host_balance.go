package sdk

import (
	"context"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// Balance is a script hash's balance as Electrum's
// blockchain.scripthash.get_balance reports it, in satoshis.
type Balance struct {
	// Confirmed is the sum of the confirmed unspent outputs; outputs
	// spent by mempool transactions are still counted here.
	Confirmed int64
	// Unconfirmed is the mempool's net effect: outputs to the script in
	// mempool transactions minus the script's outputs (confirmed or not)
	// spent by mempool transactions. It is negative when the mempool
	// spends more than it pays in. Confirmed+Unconfirmed is what is left
	// once the mempool confirms.
	Unconfirmed int64
}

// BalanceHost is the Balance host service (SDK 1.1). The Host a plugin
// receives implements it (the SDK's HostClient always does); an amberd
// older than the service answers KindUnimplemented. HostBalance calls it
// on any Host.
type BalanceHost interface {
	// Balance returns scriptHash's balance (a script hash as ScriptHashOf
	// returns it), with Electrum's semantics. Unspent cannot rebuild it:
	// Unspent leaves out the outputs spent in the mempool, whose value
	// Confirmed still counts and Unconfirmed deducts.
	Balance(ctx context.Context, scriptHash Hash) (Balance, error)
}

// HostBalance returns scriptHash's balance from h when h offers the Balance
// service, and a KindUnimplemented error when it does not.
func HostBalance(ctx context.Context, h Host, scriptHash Hash) (Balance, error) {
	if b, ok := h.(BalanceHost); ok {
		return b.Balance(ctx, scriptHash)
	}
	return Balance{}, Errorf(KindUnimplemented, "the host does not offer the Balance service")
}

var _ BalanceHost = (*HostClient)(nil)

// Balance implements BalanceHost.
func (h *HostClient) Balance(ctx context.Context, scriptHash Hash) (Balance, error) {
	r, err := h.c.Balance(ctx, &pluginv1.HostBalanceRequest{ScriptHash: scriptHash[:]}, h.opts...)
	if err != nil {
		return Balance{}, FromStatus(err)
	}
	return Balance{Confirmed: r.GetConfirmed(), Unconfirmed: r.GetUnconfirmed()}, nil
}

// Balance serves BalanceHost when the Host implementation offers it;
// otherwise the call is UNIMPLEMENTED.
func (s *hostServer) Balance(ctx context.Context, r *pluginv1.HostBalanceRequest) (*pluginv1.HostBalanceResponse, error) {
	bh, ok := s.impl.(BalanceHost)
	if !ok {
		return s.UnimplementedHostServicesServer.Balance(ctx, r)
	}
	sh, err := HashFromBytes(r.GetScriptHash())
	if err != nil {
		return nil, badHash("script hash", err)
	}
	b, err := bh.Balance(ctx, sh)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.HostBalanceResponse{Confirmed: b.Confirmed, Unconfirmed: b.Unconfirmed}, nil
}
