package jsonrpc

import (
	"bytes"
	"encoding/json"
	"sync"
	"unicode/utf8"
)

// Dialect is the JSON-RPC flavour of a connection, fixed by its first
// parseable message (docs/protocol.md, Dialects and batches; aiorpcX JSONRPCAutoDetect).
type Dialect int

const (
	// DialectUnknown is the state before the first parseable message.
	// Replies in this state use the 2.0 shape.
	DialectUnknown Dialect = iota
	// Dialect2 is strict JSON-RPC 2.0: "jsonrpc":"2.0" is required.
	Dialect2
	// Dialect1 is JSON-RPC 1.0: an id member is required, params must be an
	// array, and batches are refused.
	Dialect1
	// DialectLoose parses like 2.0 without checking the jsonrpc member;
	// replies use the 2.0 shape.
	DialectLoose
)

// String returns "unknown", "2.0", "1.0" or "loose".
func (d Dialect) String() string {
	switch d {
	case Dialect2:
		return "2.0"
	case Dialect1:
		return "1.0"
	case DialectLoose:
		return "loose"
	}
	return "unknown"
}

// Request is one decoded request or notification.
//
// Reply rule: a Request is answered if and only if Notification is false.
// If Err is set the answer is that error (with ID, nil meaning null) and the
// method must not run. A Request with both Notification and Err set is a
// client message that aiorpcX drops silently but counts as an error (a
// JSON-RPC response sent to the server: "response to unsent request").
// (docs/protocol.md, Dialects and batches: a well-formed client notification is not answered
// either, and is charged as an error because no notification method exists.)
//
// ID and Params alias the data passed to Decode; the caller must not modify
// that buffer while the Request is in use. The Requests of one batch share
// one allocation.
type Request struct {
	ID           json.RawMessage // nil for notifications
	Method       string
	Params       json.RawMessage // nil when absent (means []); else an array or, except in 1.0, an object
	Notification bool
	Err          *Error
}

// ParseErrorCost is the extra cost a parse error carries (docs/protocol.md, Error codes).
const ParseErrorCost = 1000

// Error messages; they are aiorpcX's texts (aiorpcx/jsonrpc.py).
const (
	msgNotUTF8       = "messages must be encoded in UTF-8"
	msgInvalidJSON   = "invalid JSON"
	msgNotDict       = "request object must be a dictionary"
	msgEmptyBatch    = "batch is empty"
	msgNoID          = `request has no "id"`
	msgNotV2         = `"jsonrpc" is not "2.0"`
	msgMethodNotStr  = "method must be a string"
	msgUnsentBatch   = "response to unsent batch"
	fmtInvalidID     = `invalid "id": %s`
	fmtInvalidArgs   = "invalid request arguments: %s"
	fmtUnsentRequest = "response to unsent request (ID: %s)"
)

// Decode parses one incoming message (one line or one websocket message).
//
// *d is set from the first parseable message and then enforced. For a single
// object reqs has one element; batch reports an array message, whose items
// are decoded independently (an invalid item gets Err and whatever id could
// be recovered). A message-level failure is returned as err, to be answered
// with id (nil meaning null): invalid UTF-8 or JSON (ParseError, Cost
// ParseErrorCost; the dialect stays unknown), a non-object non-array, an
// empty batch or any batch in 1.0, a missing or bad id, a wrong jsonrpc
// member (InvalidRequest), bad params (InvalidParams), or a non-string method
// (MethodNotFound).
//
// Decode never copies: the returned slices alias data.
func Decode(data []byte, d *Dialect) (reqs []*Request, batch bool, id json.RawMessage, err *Error) {
	// One validating pass that also finds a batch's items; UTF-8 needs a
	// second look only when a string holds a byte >= 0x80 or the text is
	// not JSON (invalid UTF-8 is reported first, as aiorpcX decodes
	// before it parses).
	sp := spanPool.Get().(*[]int)
	defer func() { *sp = (*sp)[:0]; spanPool.Put(sp) }()
	ok, high := validate(data, sp)
	if (!ok || high) && !utf8.Valid(data) {
		return nil, false, nil, &Error{Code: ParseError, Message: msgNotUTF8, Cost: ParseErrorCost}
	}
	if !ok {
		return nil, false, nil, &Error{Code: ParseError, Message: msgInvalidJSON, Cost: ParseErrorCost}
	}
	items := elements{data, *sp}
	msg := trimWS(data)
	if *d == DialectUnknown {
		*d = detect(msg, items)
	}
	switch msg[0] {
	case '{':
		env := parseEnvelope(msg)
		if env.method == nil {
			return []*Request{unsentResponse(env)}, false, nil, nil
		}
		r := &Request{}
		decodeRequest(r, env, *d, nil)
		if r.Err != nil {
			return nil, false, r.ID, r.Err
		}
		return []*Request{r}, false, nil, nil
	case '[':
		if *d == Dialect1 {
			return nil, false, nil, Errorf(InvalidRequest, msgNotDict)
		}
		reqs, err := decodeBatch(items, *d)
		return reqs, err == nil, nil, err
	}
	return nil, false, nil, Errorf(InvalidRequest, msgNotDict)
}

// spanPool holds the item offsets validate finds, for the length of one
// Decode.
var spanPool = sync.Pool{New: func() any { return new([]int) }}

// elements are a batch's items: data[spans[2k]:spans[2k+1]].
type elements struct {
	data  []byte
	spans []int
}

func (e elements) len() int        { return len(e.spans) / 2 }
func (e elements) at(k int) []byte { return e.data[e.spans[2*k]:e.spans[2*k+1]] }

func decodeBatch(items elements, d Dialect) ([]*Request, *Error) {
	n := items.len()
	if n == 0 {
		return nil, Errorf(InvalidRequest, msgEmptyBatch)
	}
	responses := true
	for k := 0; k < n && responses; k++ {
		elem := items.at(k)
		responses = elem[0] == '{' && func() bool {
			e := parseEnvelope(elem)
			return e.hasResult || e.hasError
		}()
	}
	if responses {
		// aiorpcX matches a batch of responses against its sent batches,
		// finds none and drops it with one counted error.
		return []*Request{{Notification: true, Err: Errorf(InvalidRequest, msgUnsentBatch)}}, nil
	}
	// The items live in one slab, and an item whose method is spelled
	// like the previous one's shares its string: a batch costs a few
	// allocations, not three per item (issue 11, the abandon attack).
	slab := make([]Request, n)
	reqs := make([]*Request, n)
	var last string
	for k := range n {
		r := &slab[k]
		reqs[k] = r
		elem := items.at(k)
		if elem[0] != '{' {
			r.Err = Errorf(InvalidRequest, msgNotDict)
			continue
		}
		decodeRequest(r, parseEnvelope(elem), d, &last)
	}
	return reqs, nil
}

// unsentResponse is the result for an object without "method": aiorpcX
// treats it as a response, finds no request it belongs to, and counts an
// error without replying.
func unsentResponse(env envelope) *Request {
	id := "None"
	if env.id != nil && validID(env.id) {
		id = pyStr(env.id)
	}
	return &Request{Notification: true, Err: Errorf(InvalidRequest, fmtUnsentRequest, id)}
}

// validID reports whether a raw id passes aiorpcX's 2.0 and loose check
// (jsonrpc.py JSONRPCv2._message_id): a Number, a str or None. Python's
// bool is a Number, so true and false are ids too.
func validID(raw []byte) bool {
	switch c := raw[0]; {
	case c == '"', c == 'n', c == 't', c == 'f', c == '-', c >= '0' && c <= '9':
		return true
	}
	return false
}

// decodeRequest validates one request object into r in aiorpcX's order:
// id, then the jsonrpc member, then params, then method. last, when not
// nil, is the previous method of the batch: a method spelled the same
// reuses its string.
func decodeRequest(r *Request, env envelope, d Dialect, last *string) {
	switch {
	case env.id == nil && d == Dialect1:
		r.Err = Errorf(InvalidRequest, msgNoID)
		return
	case env.id == nil:
	case d != Dialect1 && !validID(env.id):
		// (1.0 takes any id: JSONRPCv1._message_id has no type check.)
		r.Err = Errorf(InvalidRequest, fmtInvalidID, pyStr(env.id))
		return
	case env.id[0] != 'n':
		r.ID = json.RawMessage(env.id)
	}
	if d == Dialect2 && !rawStringIs(env.jsonrpc, "2.0") {
		r.Err = Errorf(InvalidRequest, msgNotV2)
		return
	}
	if !paramsOK(env.params, d) {
		r.Err = Errorf(InvalidParams, fmtInvalidArgs, pyStr(env.params))
		return
	}
	r.Params = json.RawMessage(env.params)
	if last != nil && len(env.method) == len(*last)+2 && env.method[0] == '"' && string(env.method[1:len(env.method)-1]) == *last {
		r.Method = *last
	} else {
		method, ok := rawString(env.method)
		if !ok {
			r.Err = Errorf(MethodNotFound, msgMethodNotStr)
			return
		}
		r.Method = method
		if last != nil && bytes.IndexByte(env.method, '\\') < 0 {
			// Only an unescaped spelling is kept, so that raw text equal
			// to *last is always that very string.
			*last = method
		}
	}
	r.Notification = r.ID == nil
}

func paramsOK(p []byte, d Dialect) bool {
	if p == nil {
		return d != Dialect1
	}
	return p[0] == '[' || (p[0] == '{' && d != Dialect1)
}

// detect picks the dialect from the first parseable message the way
// aiorpcX's JSONRPCAutoDetect does: an explicit "jsonrpc" of "2.0" or "1.0"
// wins; an object with both "result" and "error" is 1.0; anything else is
// loose. For a batch, a uniform answer is taken, else 2.0 if any item says
// 2.0, else 1.0 if any says 1.0, else loose.
func detect(msg []byte, items elements) Dialect {
	switch msg[0] {
	case '{':
		return detectObject(msg)
	case '[':
		var has [4]bool
		for k := range items.len() {
			elem := items.at(k)
			kind := DialectLoose
			if elem[0] == '{' {
				kind = detectObject(elem)
			}
			has[kind] = true
		}
		switch {
		case has[Dialect2]:
			return Dialect2
		case has[Dialect1]:
			return Dialect1
		}
	}
	return DialectLoose
}

func detectObject(obj []byte) Dialect {
	env := parseEnvelope(obj)
	if v, ok := rawString(env.jsonrpc); ok {
		switch v {
		case "2.0":
			return Dialect2
		case "1.0":
			return Dialect1
		}
	}
	if env.hasResult && env.hasError {
		return Dialect1
	}
	return DialectLoose
}
