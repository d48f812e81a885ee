package jsonrpc

// validate reports whether data is one JSON value (RFC 8259, with
// encoding/json's nesting limit of maxDepth) surrounded by optional
// whitespace, and whether any byte at or above 0x80 occurred inside a
// string (only then can the text be invalid UTF-8: outside strings such a
// byte is a syntax error). When the value is an array and spans is not
// nil, it appends the start and end offset in data of each element, so
// that a batch is not walked again to find its items.
//
// It accepts exactly what json.Valid accepts (FuzzValidate checks this)
// in one tight pass, where json.Valid steps a state machine through a
// function value per byte: under the abandon attack that check was about
// a sixth of amberd's CPU (issue 11).
func validate(data []byte, spans *[]int) (ok, high bool) {
	var small [32]byte
	stack := small[:0] // open containers: '{' or '['
	i := skipWS(data, 0)
	n := len(data)
	array := spans != nil && i < n && data[i] == '['
value:
	if i >= n {
		return false, high
	}
	if array && len(stack) == 1 {
		*spans = append(*spans, i)
	}
	switch c := data[i]; {
	case c == '{':
		if len(stack) == maxDepth {
			return false, high
		}
		stack = append(stack, '{')
		i = skipWS(data, i+1)
		if i < n && data[i] == '}' {
			stack = stack[:len(stack)-1]
			i++
			goto after
		}
		goto key
	case c == '[':
		if len(stack) == maxDepth {
			return false, high
		}
		stack = append(stack, '[')
		i = skipWS(data, i+1)
		if i < n && data[i] == ']' {
			stack = stack[:len(stack)-1]
			i++
			goto after
		}
		goto value
	case c == '"':
		var h bool
		if i, h = scanString(data, i); i < 0 {
			return false, high
		}
		high = high || h
	case c == 't':
		if i = literal(data, i, "true"); i < 0 {
			return false, high
		}
	case c == 'f':
		if i = literal(data, i, "false"); i < 0 {
			return false, high
		}
	case c == 'n':
		if i = literal(data, i, "null"); i < 0 {
			return false, high
		}
	case c == '-' || (c >= '0' && c <= '9'):
		if i = scanNumber(data, i); i < 0 {
			return false, high
		}
	default:
		return false, high
	}
after:
	if array && len(stack) == 1 {
		*spans = append(*spans, i)
	}
	i = skipWS(data, i)
	if len(stack) == 0 {
		return i == n, high
	}
	if i >= n {
		return false, high
	}
	switch data[i] {
	case ',':
		i = skipWS(data, i+1)
		if stack[len(stack)-1] == '{' {
			goto key
		}
		goto value
	case '}', ']':
		if (stack[len(stack)-1] == '{') != (data[i] == '}') {
			return false, high
		}
		stack = stack[:len(stack)-1]
		i++
		goto after
	}
	return false, high
key:
	// An object member: a string, a colon, then its value.
	if i >= n || data[i] != '"' {
		return false, high
	}
	{
		var h bool
		if i, h = scanString(data, i); i < 0 {
			return false, high
		}
		high = high || h
	}
	i = skipWS(data, i)
	if i >= n || data[i] != ':' {
		return false, high
	}
	i = skipWS(data, i+1)
	goto value
}

// maxDepth is encoding/json's nesting limit: deeper text is invalid.
const maxDepth = 10000

// plainByte marks the string bytes that need no attention: not '"', not
// '\\', not a control character, not at or above 0x80.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString checks the string starting at data[i] == '"' and returns the
// index after it (-1 if invalid) and whether it holds a byte >= 0x80.
func scanString(data []byte, i int) (int, bool) {
	high := false
	for i++; i < len(data); i++ {
		c := data[i]
		if plainByte[c] {
			continue
		}
		switch {
		case c == '"':
			return i + 1, high
		case c >= 0x80:
			high = true
		case c < 0x20:
			return -1, high
		default: // '\\'
			i++
			if i >= len(data) {
				return -1, high
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) || !isHex(data[i+1]) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) {
					return -1, high
				}
				i += 4
			default:
				return -1, high
			}
		}
	}
	return -1, high
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// literal checks that data[i:] starts with lit and returns the index
// after it (-1 if not).
func literal(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// scanNumber checks the number starting at data[i] and returns the index
// after it (-1 if invalid): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(data []byte, i int) int {
	n := len(data)
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= n:
		return -1
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		for i++; i < n && isDigit(data[i]); i++ {
		}
	default:
		return -1
	}
	if i < n && data[i] == '.' {
		i++
		if i >= n || !isDigit(data[i]) {
			return -1
		}
		for i++; i < n && isDigit(data[i]); i++ {
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= n || !isDigit(data[i]) {
			return -1
		}
		for i++; i < n && isDigit(data[i]); i++ {
		}
	}
	return i
}
