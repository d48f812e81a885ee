package jsonrpc

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// BindParams maps a request's params (positional array or by-name object)
// onto a method's parameter list. names lists every parameter in order;
// the first required of them are mandatory. The result has len(names)
// slots; an absent optional parameter is nil (JSON null is kept as "null").
// Arity errors use the messages of the aiorpcX library that ElectrumX clients
// know (InvalidParams).
func BindParams(method string, params json.RawMessage, names []string, required int) ([]json.RawMessage, *Error) {
	out := make([]json.RawMessage, len(names))
	p := bytes.TrimSpace(params)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		p = []byte("[]")
	}
	switch p[0] {
	case '[':
		// The elements are sliced out of params (no copy, no reflection):
		// this runs for every request.
		if !json.Valid(p) {
			var args []json.RawMessage
			err := json.Unmarshal(p, &args)
			return nil, Errorf(InvalidRequest, "invalid request params: %v", err)
		}
		args := make([]json.RawMessage, 0, len(names))
		forEachElement(p, func(elem []byte) { args = append(args, json.RawMessage(elem)) })
		s := "s"
		if len(args) == 1 {
			s = ""
		}
		if len(args) < required {
			return nil, Errorf(InvalidParams, "%d argument%s passed to method \"%s\" but it requires %d",
				len(args), s, method, required)
		}
		if len(args) > len(names) {
			return nil, Errorf(InvalidParams, "%d argument%s passed to method %s taking at most %d",
				len(args), s, method, len(names))
		}
		copy(out, args)
		return out, nil
	case '{':
		var args map[string]json.RawMessage
		if err := json.Unmarshal(p, &args); err != nil {
			return nil, Errorf(InvalidRequest, "invalid request params: %v", err)
		}
		var missing []string
		for _, n := range names[:required] {
			if _, ok := args[n]; !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return nil, Errorf(InvalidParams, "method \"%s\" requires parameter%s %s",
				method, plural(len(missing)), quoteList(missing))
		}
		var excess []string
		for k := range args {
			if indexOf(names, k) < 0 {
				excess = append(excess, k)
			}
		}
		if len(excess) > 0 {
			return nil, Errorf(InvalidParams, "method \"%s\" does not take parameter%s %s",
				method, plural(len(excess)), quoteList(excess))
		}
		for i, n := range names {
			if v, ok := args[n]; ok {
				out[i] = v
			}
		}
		return out, nil
	}
	return nil, Errorf(InvalidRequest, "invalid request params: must be an array or an object")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func quoteList(names []string) string {
	sort.Strings(names)
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"` // Python f'"{name}"', no escaping
	}
	return strings.Join(q, ", ")
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
