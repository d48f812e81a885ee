package mainchain

import (
	"errors"
	"strings"

	"github.com/amber-electrum/amber/sdk"
)

// Daemon error codes the plugin tells apart.
const (
	// CodeBitcoindOutOfRange is bitcoind's RPC_INVALID_PARAMETER (-8), its
	// answer to getblockhash past the tip ("Block height out of range").
	CodeBitcoindOutOfRange = -8
	// CodeBtcdOutOfRange is btcd's ErrRPCOutOfRange (-1), its answer to
	// getblockhash past the tip ("Block number out of range"). btcd also
	// uses -1 for other failures, so the message is checked too.
	CodeBtcdOutOfRange = -1
	// CodeBlockNotFound is getblock's "Block not found" (-5) on both.
	CodeBlockNotFound = -5
)

// IsHeightOutOfRange reports whether err is a node's answer to getblockhash
// for a height above its best chain: bitcoind's -8 or btcd's -1 "Block
// number out of range". Either means the best chain is shorter than the
// height asked for.
func IsHeightOutOfRange(err error) bool {
	var de *sdk.Error
	if !errors.As(err, &de) || de.Kind != sdk.KindDaemon {
		return false
	}
	switch de.DaemonCode {
	case CodeBitcoindOutOfRange:
		return true
	case CodeBtcdOutOfRange:
		return strings.Contains(strings.ToLower(de.DaemonMessage), "out of range")
	}
	return false
}

// IsBlockNotFound reports whether err is getblock's "Block not found".
func IsBlockNotFound(err error) bool {
	var de *sdk.Error
	return errors.As(err, &de) && de.Kind == sdk.KindDaemon && de.DaemonCode == CodeBlockNotFound
}
