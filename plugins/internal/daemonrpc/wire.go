package daemonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/amber-electrum/amber/sdk"
)

// CodeWarmup is the JSON-RPC error code a daemon answers while it is still
// loading (RPC_IN_WARMUP); calls failing with it are retried.
const CodeWarmup = -28

// CodeMethodNotFound is the JSON-RPC "method not found" code.
const CodeMethodNotFound = -32601

// request is one JSON-RPC request object. Params is omitted when nil.
type request struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	ID      uint64 `json:"id"`
	Params  []any  `json:"params,omitempty"`
}

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// reply is one JSON-RPC reply object.
type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
	ID     json.RawMessage `json:"id"`
}

// Reply is the outcome of one call of a batch: Result when Err is nil.
// Err is a KindDaemon *sdk.Error carrying the daemon's code and message.
type Reply struct {
	Result json.RawMessage
	Err    *sdk.Error
}

// errMalformed marks a reply body that is not the JSON-RPC reply expected;
// the retry loop treats it like a service refusal.
type errMalformed struct{ msg string }

func (e *errMalformed) Error() string { return "malformed reply: " + e.msg }

// encodeSingle encodes a single call; empty params are omitted.
func encodeSingle(id uint64, method string, params []any) ([]byte, error) {
	if len(params) == 0 {
		params = nil
	}
	return json.Marshal(request{JSONRPC: "1.0", Method: method, ID: id, Params: params})
}

// encodeBatch encodes a batch; every request carries params (maybe empty).
func encodeBatch(firstID uint64, reqs []Request) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range reqs {
		if i > 0 {
			buf.WriteByte(',')
		}
		p := r.Params
		if p == nil {
			p = []any{}
		}
		b, err := json.Marshal(struct {
			JSONRPC string `json:"jsonrpc"`
			Method  string `json:"method"`
			ID      uint64 `json:"id"`
			Params  []any  `json:"params"`
		}{"1.0", r.Method, firstID + uint64(i), p})
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// toReply turns a parsed reply object into a Reply.
func toReply(r *reply) Reply {
	if r.Error != nil {
		return Reply{Err: sdk.DaemonError(r.Error.Code, r.Error.Message)}
	}
	res := r.Result
	if len(res) == 0 {
		res = json.RawMessage("null")
	}
	return Reply{Result: res}
}

// parseReply parses the body of a single-call reply.
func parseReply(body []byte) (Reply, error) {
	var r reply
	if err := json.Unmarshal(body, &r); err != nil {
		return Reply{}, &errMalformed{err.Error()}
	}
	if r.Error == nil && len(r.Result) == 0 {
		return Reply{}, &errMalformed{"neither result nor error"}
	}
	return toReply(&r), nil
}

// parseBatchReply parses the body of a batch reply for n requests whose ids
// run from firstID, and returns the replies in request order whatever order
// the daemon answered in. A single error object instead of an array (the
// daemon refused the whole batch) becomes that error for every request.
func parseBatchReply(body []byte, firstID uint64, n int) ([]Reply, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		one, err := parseReply(body)
		if err != nil {
			return nil, err
		}
		if one.Err == nil {
			return nil, &errMalformed{"object reply to a batch"}
		}
		out := make([]Reply, n)
		for i := range out {
			out[i] = one
		}
		return out, nil
	}
	var items []reply
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, &errMalformed{err.Error()}
	}
	out := make([]Reply, n)
	seen := make([]bool, n)
	for i := range items {
		id, err := strconv.ParseUint(string(items[i].ID), 10, 64)
		if err != nil || id < firstID || id-firstID >= uint64(n) {
			return nil, &errMalformed{fmt.Sprintf("unexpected id %s in batch reply", items[i].ID)}
		}
		k := id - firstID
		if seen[k] {
			return nil, &errMalformed{fmt.Sprintf("duplicate id %d in batch reply", id)}
		}
		seen[k] = true
		out[k] = toReply(&items[i])
	}
	for k, ok := range seen {
		if !ok {
			return nil, &errMalformed{fmt.Sprintf("id %d missing from batch reply", firstID+uint64(k))}
		}
	}
	return out, nil
}
