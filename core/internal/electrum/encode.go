package electrum

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// Hand-written encoders of the hot results and of the status pre-image:
// no reflection and one allocation per answer. The output is byte for byte
// what encoding/json gives for confirmedItem, mempoolItem and utxoItem
// (encode_test.go checks it).

// appendHashHex appends h in display order (byte-reversed lower-case hex),
// as sdk.Hash.String writes it.
func appendHashHex(dst []byte, h sdk.Hash) []byte {
	const digits = "0123456789abcdef"
	for i := len(h) - 1; i >= 0; i-- {
		dst = append(dst, digits[h[i]>>4], digits[h[i]&0x0f])
	}
	return dst
}

// appendStatusItem appends one "txid:height:" item of a status pre-image.
func appendStatusItem(dst []byte, h sdk.Hash, height int64) []byte {
	dst = appendHashHex(dst, h)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, height, 10)
	return append(dst, ':')
}

// confirmedDigest hashes the confirmed part of a status pre-image once, for
// the history cache: the SHA-256 state after it (cloned, never written,
// when a mempool part follows), its length, and the status of the
// confirmed part alone (nil when conf is empty).
func confirmedDigest(conf []index.Confirmed) (h hash.Hash, n int, status *string) {
	h = sha256.New()
	var buf []byte
	for _, e := range conf {
		buf = appendStatusItem(buf[:0], e.TxHash, e.Height)
		h.Write(buf)
		n += len(buf)
	}
	if n > 0 {
		s := hex.EncodeToString(h.Sum(nil))
		status = &s
	}
	return h, n, status
}

// itemSize is about the JSON size of one history or UTXO item.
const itemSize = 100

func appendConfirmedItem(dst []byte, e index.Confirmed) []byte {
	dst = append(dst, `{"tx_hash":"`...)
	dst = appendHashHex(dst, e.TxHash)
	dst = append(dst, `","height":`...)
	dst = strconv.AppendInt(dst, e.Height, 10)
	return append(dst, '}')
}

func appendMempoolItem(dst []byte, e index.MempoolEntry) []byte {
	dst = append(dst, `{"tx_hash":"`...)
	dst = appendHashHex(dst, e.TxHash)
	dst = append(dst, `","height":`...)
	dst = strconv.AppendInt(dst, e.Height, 10)
	dst = append(dst, `,"fee":`...)
	dst = strconv.AppendInt(dst, e.Fee, 10)
	return append(dst, '}')
}

// appendConfirmedItems appends the confirmed items, comma-separated.
func appendConfirmedItems(dst []byte, conf []index.Confirmed) []byte {
	for i, e := range conf {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendConfirmedItem(dst, e)
	}
	return dst
}

// encodeHistory is the get_history result: confirmed then mempool items.
func encodeHistory(conf []index.Confirmed, mem []index.MempoolEntry) jsonrpc.Encoded {
	return encodeHistoryFrom(appendConfirmedItems(make([]byte, 0, itemSize*len(conf)), conf), mem)
}

// encodeHistoryFrom is encodeHistory with the confirmed items already
// encoded (appendConfirmedItems).
func encodeHistoryFrom(confJSON []byte, mem []index.MempoolEntry) jsonrpc.Encoded {
	buf := make([]byte, 0, 2+len(confJSON)+itemSize*len(mem))
	buf = append(buf, '[')
	buf = append(buf, confJSON...)
	for i, e := range mem {
		if i > 0 || len(confJSON) > 0 {
			buf = append(buf, ',')
		}
		buf = appendMempoolItem(buf, e)
	}
	return append(buf, ']')
}

// encodeUTXOs is the listunspent result.
func encodeUTXOs(utxos []index.UTXO) jsonrpc.Encoded {
	buf := make([]byte, 0, 2+itemSize*len(utxos))
	buf = append(buf, '[')
	for i, u := range utxos {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"tx_hash":"`...)
		buf = appendHashHex(buf, u.TxHash)
		buf = append(buf, `","tx_pos":`...)
		buf = strconv.AppendUint(buf, uint64(u.TxPos), 10)
		buf = append(buf, `,"height":`...)
		buf = strconv.AppendInt(buf, u.Height, 10)
		buf = append(buf, `,"value":`...)
		buf = strconv.AppendInt(buf, u.Value, 10)
		buf = append(buf, '}')
	}
	return append(buf, ']')
}

// encodeBalance is the get_balance result.
func encodeBalance(confirmed, unconfirmed int64) jsonrpc.Encoded {
	buf := make([]byte, 0, 64)
	buf = append(buf, `{"confirmed":`...)
	buf = strconv.AppendInt(buf, confirmed, 10)
	buf = append(buf, `,"unconfirmed":`...)
	buf = strconv.AppendInt(buf, unconfirmed, 10)
	return append(buf, '}')
}
