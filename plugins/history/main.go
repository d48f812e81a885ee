// Command history is Amber's history-paging plugin: a method provider that
// adds amber.scripthash.get_history_page (see package histpage), reading
// amberd's index through the host services. Configuration: none.
package main

import (
	"github.com/amber-electrum/amber/plugins/history/histpage"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	sdk.Serve(histpage.New())
}
