package jsonrpc

import "fmt"

// Error codes (docs/protocol.md, Error codes).
const (
	BadRequest             = 1
	DaemonError            = 2
	ParseError             = -32700
	InvalidRequest         = -32600
	MethodNotFound         = -32601
	InvalidParams          = -32602
	InternalError          = -32603
	ExcessiveResourceUsage = -101
	ServerBusy             = -102
)

// Error is a JSON-RPC error object. Handlers return it for every error a
// client should see; any other error becomes InternalError.
type Error struct {
	Code    int
	Message string
	// Cost is extra cost the error carries on top of the error base cost
	// (e.g. "history too large" carries its lookup cost).
	Cost float64
}

func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// Errorf returns an *Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
