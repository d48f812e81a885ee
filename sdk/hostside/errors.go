package hostside

import "github.com/amber-electrum/amber/sdk"

// Electrum JSON-RPC error codes (docs/protocol.md, Error codes) that amberd
// answers plugin errors with.
const (
	ElectrumBadRequest     = 1
	ElectrumDaemonError    = 2
	ElectrumInternalError  = -32603
	ElectrumMethodNotFound = -32601
	ElectrumServerBusy     = -102
)

// KindInfo is one row of amberd's error table: the Electrum code a plugin
// error of Kind is answered with.
type KindInfo struct {
	Kind         sdk.Kind
	Name         string // Kind.String()
	ElectrumCode int
}

// electrumCodes maps every sdk.Kind to its Electrum code; TestKindTable
// checks that no kind is missing.
var electrumCodes = map[sdk.Kind]int{
	sdk.KindInternal:        ElectrumInternalError,
	sdk.KindDaemon:          ElectrumDaemonError,
	sdk.KindUnavailable:     ElectrumDaemonError,
	sdk.KindRejected:        ElectrumBadRequest,
	sdk.KindInvalidArgument: ElectrumBadRequest,
	sdk.KindNotFound:        ElectrumDaemonError,
	sdk.KindUnimplemented:   ElectrumDaemonError,
	sdk.KindTimeout:         ElectrumDaemonError,
}

// ElectrumCode returns the Electrum error code amberd answers a plugin
// error of kind k with (an unknown kind is an internal error).
func ElectrumCode(k sdk.Kind) int {
	if c, ok := electrumCodes[k]; ok {
		return c
	}
	return ElectrumInternalError
}

// KindTable returns amberd's error table, one row per sdk.Kinds, for
// documentation and tests.
func KindTable() []KindInfo {
	ks := sdk.Kinds()
	rows := make([]KindInfo, len(ks))
	for i, k := range ks {
		rows[i] = KindInfo{Kind: k, Name: k.String(), ElectrumCode: ElectrumCode(k)}
	}
	return rows
}
