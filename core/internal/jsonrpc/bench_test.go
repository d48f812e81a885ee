package jsonrpc

import (
	"fmt"
	"strings"
	"testing"
)

// batchOf is a batch of n requests like the abandon attack's (header
// requests) or a wallet's (scripthash subscriptions).
func batchOf(n int, method, param string) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":[%s]}`, i, method, param)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// BenchmarkDecodeBatch decodes a 9,000-item batch of header requests
// (the abandon attack) and a wallet's 300 subscriptions.
func BenchmarkDecodeBatch(b *testing.B) {
	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"headers9000", batchOf(9000, "blockchain.block.header", "5")},
		{"wallet300", batchOf(300, "blockchain.scripthash.subscribe", `"5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282"`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.msg)))
			b.ReportAllocs()
			for b.Loop() {
				d := Dialect2
				reqs, batch, _, err := Decode(c.msg, &d)
				if err != nil || !batch || len(reqs) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}
