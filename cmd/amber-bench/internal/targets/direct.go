package targets

import "encoding/hex"

// FromHistory is the expected answers of a script whose full confirmed
// history, unspent outputs and balance are known (a generator that built
// the chain keeps them): no mempool entries.
func FromHistory(pkScript []byte, typ, address string, history []Entry, confirmed int64, utxos int) Script {
	s := Script{ScriptHash: ScriptHash(pkScript), Type: typ, Address: address,
		History: len(history), Confirmed: confirmed, UTXOs: utxos, Sample: spread(history, SampleSize)}
	s.Script = hex.EncodeToString(pkScript)
	return s
}
