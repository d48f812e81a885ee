package histpage

import (
	"context"
	"encoding/json"
	"math"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/sdk"
)

// Method is the JSON-RPC method the plugin adds.
const Method = "amber.scripthash.get_history_page"

// Page sizes: DefaultLimit when the limit is absent or null, at most
// MaxLimit (larger limits are clamped).
const (
	DefaultLimit = sdk.DefaultHistoryPage
	MaxLimit     = sdk.MaxHistoryPage
)

// Cost is charged to the session per call.
const Cost = 1.0

// Version is the plugin's version.
const Version = "0.1.0"

// Plugin is the history plugin. Its zero value is not usable: call New.
type Plugin struct {
	sdk.BasicPlugin
}

var _ sdk.MethodProvider = (*Plugin)(nil)

// New returns the plugin.
func New() *Plugin {
	return &Plugin{BasicPlugin: sdk.BasicPlugin{Name: "history", Version: Version}}
}

// Methods implements sdk.MethodProvider.
func (p *Plugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{{
		Name: Method, MinArgs: 1, MaxArgs: 3,
		ParamNames: []string{"scripthash", "cursor", "limit"}, Cost: Cost,
	}}, nil
}

// Entry is one history entry of a page.
type Entry struct {
	TxHash string `json:"tx_hash"`
	Height int64  `json:"height"`
	Fee    *int64 `json:"fee,omitempty"` // mempool entries only
}

// Page is the method's result. Next is nil on the last page.
type Page struct {
	History []Entry `json:"history"`
	Next    *string `json:"next"`
}

// Call implements sdk.MethodProvider.
func (p *Plugin) Call(ctx context.Context, method string, params json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	if method != Method {
		return nil, sdk.Errorf(sdk.KindUnimplemented, "unknown method %s", method)
	}
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil || len(args) == 0 {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "params must be an array of 1 to 3 values")
	}
	args = append(args, nil, nil) // absent optional parameters are null
	sh, err := parseScriptHash(args[0])
	if err != nil {
		return nil, err
	}
	cursor, err := parseCursor(args[1])
	if err != nil {
		return nil, err
	}
	limit, err := parseLimit(args[2])
	if err != nil {
		return nil, err
	}
	host := p.Host()
	if host == nil {
		return nil, sdk.Errorf(sdk.KindUnavailable, "amberd offered no host services")
	}
	page, err := ReadPage(ctx, host, sh, cursor, limit)
	if err != nil {
		return nil, err
	}
	return json.Marshal(page)
}

// ReadPage reads one page of sh's history from host.
func ReadPage(ctx context.Context, host sdk.Host, sh sdk.Hash, cursor string, limit int) (Page, error) {
	entries, next, err := host.History(ctx, sh, cursor, limit)
	if err != nil {
		return Page{}, err
	}
	page := Page{History: make([]Entry, len(entries))}
	for i, e := range entries {
		page.History[i] = Entry{TxHash: e.TxHash.String(), Height: e.Height}
		if e.Height <= 0 {
			fee := e.Fee
			page.History[i].Fee = &fee
		}
	}
	if next != "" {
		page.Next = &next
	}
	return page, nil
}

func isNull(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

// parseScriptHash validates a scripthash parameter like the core methods.
func parseScriptHash(raw json.RawMessage) (sdk.Hash, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if h, err := sdk.ParseHash(s); err == nil {
			return h, nil
		}
	}
	return sdk.Hash{}, sdk.Errorf(sdk.KindInvalidArgument, "%s is not a valid script hash", pyfmt.Str(raw))
}

// parseCursor accepts null or a string ("" is the first page).
func parseCursor(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", sdk.Errorf(sdk.KindInvalidArgument, "cursor %s should be a string or null", pyfmt.Str(raw))
	}
	return s, nil
}

// parseLimit accepts null (DefaultLimit) or a positive integer, clamped to
// MaxLimit.
func parseLimit(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return DefaultLimit, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f < 1 || f != math.Trunc(f) {
		return 0, sdk.Errorf(sdk.KindInvalidArgument, "limit %s should be a positive integer", pyfmt.Str(raw))
	}
	return int(min(f, MaxLimit)), nil
}
