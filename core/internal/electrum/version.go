package electrum

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Version is a protocol version as a tuple of integers, compared
// element-wise with a shorter prefix ordering first (Python tuple order), so
// 1.4 < 1.4.0 < 1.4.1.
type Version []int

// Protocol range served: ElectrumX 1.20.0's PROTOCOL_MIN and PROTOCOL_MAX
// (session.py ElectrumX class). The maximum is the 3-tuple (1, 6, 0), so a
// client asking for ["1.4", "1.6"] gets "1.6" and one asking for up to
// "1.7" gets "1.6.0".
var (
	ProtocolMin = Version{1, 4}
	ProtocolMax = Version{1, 6, 0}
)

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
		n, ok := pyIntString(p)
		if !ok || !n.IsInt64() || n.Int64() > math.MaxInt32 || n.Int64() < math.MinInt32 {
			return Version{0}
		}
		v[i] = int(n.Int64())
	}
	return v
}

func versionOf(raw json.RawMessage) Version {
	if s, ok := jsonString(raw); ok {
		return ParseVersion(s)
	}
	return Version{0}
}

// Negotiate is upstream util.protocol_version applied to the raw
// protocol_version parameter (nil when omitted): a [min, max] pair or a
// single version; the result is min(client max, max) unless that is below
// max(client min, min) or is (0). It returns the negotiated version (nil
// when the request cannot be served) and the client's minimum.
func Negotiate(raw json.RawMessage, min, max Version) (Version, Version) {
	var cmin, cmax Version
	var pair []json.RawMessage
	switch {
	case raw == nil || string(raw) == "null":
		cmin, cmax = min, min
	case raw[0] == '[' && json.Unmarshal(raw, &pair) == nil && len(pair) == 2:
		cmin, cmax = versionOf(pair[0]), versionOf(pair[1])
	default:
		cmin = versionOf(raw)
		cmax = cmin
	}
	result := cmax
	if max.Compare(result) < 0 {
		result = max
	}
	floor := cmin
	if min.Compare(floor) > 0 {
		floor = min
	}
	if result.Compare(floor) < 0 || result.Compare(Version{0}) == 0 {
		return nil, cmin
	}
	return append(Version(nil), result...), cmin
}
