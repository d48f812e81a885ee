package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMethodsDocCurrent fails when docs/methods.md is not what the
// registry generates: change the registry, then run
// `go run ./cmd/amber-docs methods -o docs/methods.md`.
func TestMethodsDocCurrent(t *testing.T) {
	var got bytes.Buffer
	if err := run(t.Context(), []string{"methods"}, &got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "docs", "methods.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Error("docs/methods.md is not current: run `go run ./cmd/amber-docs methods -o docs/methods.md`")
	}
}

// TestMethodsDocContent: every core method, the reserved namespaces and
// the first-party plugins' methods are in the reference.
func TestMethodsDocContent(t *testing.T) {
	var b bytes.Buffer
	if err := run(t.Context(), []string{"methods"}, &b); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	for _, want := range []string{
		"| `server.version` | core | `[client_name]`, `[protocol_version]` (surplus dropped) | 1.4+ | 0.5 |",
		"| `blockchain.block.headers` | core | `start_height`, `count`, `[cp_height]` | 1.4 to before 1.6 | headers served / 50",
		"| `blockchain.scripthash.unsubscribe` | core | `scripthash` | 1.4.2+ | 0.1 |",
		"| `mempool.get_info` | core | — | 1.6+ | 1 |",
		"| `invalid-argument` | 1 |",
		"`server.`, `blockchain.`, `mempool.`",
		"| `blockchain.transaction.bmm_merkle` | `bmm` | `tx_hash`, `height` | 1.4+ | 1 |",
		"| `amber.scripthash.get_history_page` | `history` |",
		"| `feeest.estimatefee` | `feeest` |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the reference lacks %q", want)
		}
	}
	if err := run(t.Context(), []string{"nonsense"}, &b); err == nil {
		t.Error("an unknown document was accepted")
	}
}
