package electrum

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Version is a protocol version as a tuple of integers, compared
// element-wise with a shorter prefix ordering first (Python tuple order), so
// 1.4 < 1.4.0 < 1.4.1.
type Version []int

// Protocol range served (protocol.md §3 and §7).
var (
	ProtocolMin = Version{1, 4}
	ProtocolMax = Version{1, 6}
	// ProtocolMaxLate is the highest version a session can negotiate once
	// it has sent another request before server.version: 1.6 requires
	// server.version to be the first message, 1.4.x does not.
	ProtocolMaxLate = Version{1, 4, 2}
)

// skipped is the version range with no protocol defined (1.5 was skipped):
// a negotiation landing in it settles on the highest version below it.
var skipped = [2]Version{{1, 5}, {1, 6}}

// Compare returns -1, 0 or +1.
func (v Version) Compare(w Version) int {
	for i := 0; i < len(v) && i < len(w); i++ {
		switch {
		case v[i] < w[i]:
			return -1
		case v[i] > w[i]:
			return 1
		}
	}
	switch {
	case len(v) < len(w):
		return -1
	case len(v) > len(w):
		return 1
	}
	return 0
}

// String joins the tuple with dots; a 1-tuple gets ".0" appended (upstream
// version_string), so "1.4" stays "1.4".
func (v Version) String() string {
	if len(v) == 1 {
		v = append(v[:1:1], 0)
	}
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// ParseVersion reads "1.4.2" like upstream protocol_tuple: every dotted part
// must be an integer as Python int() reads it; anything else is (0).
func ParseVersion(s string) Version {
	parts := strings.Split(s, ".")
	v := make(Version, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return Version{0}
		}
		v[i] = n
	}
	return v
}

func versionOf(raw json.RawMessage) Version {
	if s, ok := jsonString(raw); ok {
		return ParseVersion(s)
	}
	return Version{0}
}

// Negotiate applies protocol.md §3 to the raw protocol_version parameter
// (nil when omitted): it returns the negotiated version, or nil when the
// request cannot be served.
func Negotiate(raw json.RawMessage, min, max Version) Version {
	var cmin, cmax Version
	var pair []json.RawMessage
	switch {
	case raw == nil || string(raw) == "null":
		cmin, cmax = min, min
	case json.Unmarshal(raw, &pair) == nil && raw[0] == '[' && len(pair) == 2:
		cmin, cmax = versionOf(pair[0]), versionOf(pair[1])
	default:
		cmin = versionOf(raw)
		cmax = cmin
	}
	result := cmax
	if max.Compare(result) < 0 {
		result = max
	}
	if result.Compare(skipped[0]) >= 0 && result.Compare(skipped[1]) < 0 {
		result = ProtocolMaxLate
	}
	floor := cmin
	if min.Compare(floor) > 0 {
		floor = min
	}
	if result.Compare(floor) < 0 || result.Compare(Version{0}) == 0 {
		return nil
	}
	return append(Version(nil), result...)
}
