package hostside

import (
	"fmt"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// Conversions of wire messages into SDK values (package sdk has the
// reverse ones). A malformed hash is an error.

func optHashFromWire(b []byte) (sdk.Hash, error) {
	if len(b) == 0 {
		return sdk.Hash{}, nil
	}
	return wire.HashFromBytes[sdk.Hash](b)
}

func descriptionFromWire(r *pluginv1.DescribeResponse) (sdk.Description, error) {
	g, err := optHashFromWire(r.GetGenesisHash())
	if err != nil {
		return sdk.Description{}, fmt.Errorf("genesis hash: %w", err)
	}
	return sdk.Description{
		Name:         r.GetName(),
		Version:      r.GetVersion(),
		SDKVersion:   r.GetSdkVersion(),
		Capabilities: r.GetCapabilities(),
		Coin:         r.GetCoin(),
		Network:      r.GetNetwork(),
		GenesisHash:  g,
	}, nil
}

func blockFromWire(m *pluginv1.Block) (sdk.Block, error) {
	h, err := wire.HashFromBytes[sdk.Hash](m.GetHash())
	if err != nil {
		return sdk.Block{}, fmt.Errorf("block %d: %w", m.GetHeight(), err)
	}
	return sdk.Block{Height: m.GetHeight(), Hash: h, Raw: m.GetRaw()}, nil
}

func mempoolTxsFromWire(ms []*pluginv1.MempoolTransaction) [][]byte {
	out := make([][]byte, len(ms))
	for i, m := range ms {
		if m.GetFound() {
			out[i] = m.GetRaw()
			if out[i] == nil {
				out[i] = []byte{}
			}
		}
	}
	return out
}
