package sdk

import (
	"fmt"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// Conversions between SDK types and wire messages. Hashes travel as 32 bytes
// in internal byte order; a malformed hash is an error on either side.

func hashesToWire(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func hashesFromWire(bs [][]byte) ([]Hash, error) {
	out := make([]Hash, len(bs))
	for i, b := range bs {
		h, err := HashFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}

// optHashToWire sends the zero hash (unknown) as empty bytes.
func optHashToWire(h Hash) []byte {
	if h == (Hash{}) {
		return nil
	}
	return h[:]
}

func optHashFromWire(b []byte) (Hash, error) {
	if len(b) == 0 {
		return Hash{}, nil
	}
	return HashFromBytes(b)
}

func descriptionToWire(d Description) *pluginv1.DescribeResponse {
	return &pluginv1.DescribeResponse{
		Name:         d.Name,
		Version:      d.Version,
		SdkVersion:   d.SDKVersion,
		Capabilities: d.Capabilities,
		Coin:         d.Coin,
		Network:      d.Network,
		GenesisHash:  optHashToWire(d.GenesisHash),
	}
}

func descriptionFromWire(r *pluginv1.DescribeResponse) (Description, error) {
	g, err := optHashFromWire(r.GetGenesisHash())
	if err != nil {
		return Description{}, fmt.Errorf("genesis hash: %w", err)
	}
	return Description{
		Name:         r.GetName(),
		Version:      r.GetVersion(),
		SDKVersion:   r.GetSdkVersion(),
		Capabilities: r.GetCapabilities(),
		Coin:         r.GetCoin(),
		Network:      r.GetNetwork(),
		GenesisHash:  g,
	}, nil
}

func blockToWire(b Block) *pluginv1.Block {
	return &pluginv1.Block{Height: b.Height, Hash: b.Hash[:], Raw: b.Raw}
}

func blockFromWire(m *pluginv1.Block) (Block, error) {
	h, err := HashFromBytes(m.GetHash())
	if err != nil {
		return Block{}, fmt.Errorf("block %d: %w", m.GetHeight(), err)
	}
	return Block{Height: m.GetHeight(), Hash: h, Raw: m.GetRaw()}, nil
}

func mempoolTxsToWire(raws [][]byte) []*pluginv1.MempoolTransaction {
	out := make([]*pluginv1.MempoolTransaction, len(raws))
	for i, r := range raws {
		out[i] = &pluginv1.MempoolTransaction{Found: r != nil, Raw: r}
	}
	return out
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
