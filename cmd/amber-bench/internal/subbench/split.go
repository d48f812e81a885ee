package subbench

import (
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/wire"
)

// SplitOutputs cuts outs into consecutive chunks of at most per outputs,
// as even as possible (2,001 outputs at 2,000 per tx: 1,001 + 1,000, not
// 2,000 + 1), one chunk per transaction.
func SplitOutputs(outs []*wire.TxOut, per int) ([][]*wire.TxOut, error) {
	if per <= 0 {
		return nil, fmt.Errorf("split outputs: %d per transaction", per)
	}
	if len(outs) == 0 {
		return nil, nil
	}
	n := (len(outs) + per - 1) / per
	chunks := make([][]*wire.TxOut, 0, n)
	for i := range n {
		lo, hi := i*len(outs)/n, (i+1)*len(outs)/n
		chunks = append(chunks, slices.Clip(outs[lo:hi]))
	}
	return chunks, nil
}
