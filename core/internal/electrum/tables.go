package electrum

import (
	"context"
	"slices"
	"sort"
)

// handlerFunc answers one request. It returns a *jsonrpc.Error for errors the
// client should see.
type handlerFunc func(ctx context.Context, c *call) (any, error)

// Method is one core method of the registry (coreMethods): the core's
// counterpart of a plugin's sdk.MethodSpec.
type Method struct {
	Name     string
	Params   []string // parameter names, for by-name calls and arity
	Required int      // how many of Params are required
	// ExtraOK: surplus arguments are dropped instead of refused.
	ExtraOK bool
	// Since is the lowest negotiated version serving the entry (nil: 1.4);
	// Until the lowest one no longer serving it (nil: none).
	Since, Until Version
	Cost         Cost
	Result       string // the result's shape, for docs/methods.md
	Errors       string // the errors besides -32602 arity, for docs/methods.md
	handler      handlerFunc
}

// serves reports whether the entry is served to negotiated version v.
func (m *Method) serves(v Version) bool {
	since := m.Since
	if since == nil {
		since = ProtocolMin
	}
	return since.Compare(v) <= 0 && (m.Until == nil || v.Compare(m.Until) < 0)
}

// method is one entry of a handler table: parameter names (for by-name calls
// and arity), how many are required, the handler and the cost rule it
// charges through. extraOK: surplus arguments are dropped instead of
// refused.
type method struct {
	names    []string
	required int
	fn       handlerFunc
	extraOK  bool
	cost     Cost
}

// table is the method set of one protocol version range. A session starts on
// tables[0] (the full 1.4 set) and switches to the table of its negotiated
// version after server.version.
type table struct {
	min     Version // lowest negotiated version this table serves
	methods map[string]method
}

func p(names ...string) []string { return names }

// tables lists the handler tables by ascending min version: one per
// distinct Since of the registry, holding the entries that serve it.
var tables []*table

func init() { tables = buildTables(coreMethods) }

func buildTables(reg []Method) []*table {
	mins := []Version{ProtocolMin}
	for _, m := range reg {
		if m.Since != nil {
			mins = append(mins, m.Since)
		}
		if m.Until != nil {
			mins = append(mins, m.Until)
		}
	}
	slices.SortFunc(mins, Version.Compare)
	mins = slices.CompactFunc(mins, func(a, b Version) bool { return a.Compare(b) == 0 })
	out := make([]*table, 0, len(mins))
	for _, v := range mins {
		t := &table{min: v, methods: map[string]method{}}
		for i := range reg {
			m := &reg[i]
			if m.serves(v) {
				t.methods[m.Name] = method{names: m.Params, required: m.Required, fn: m.handler, extraOK: m.ExtraOK, cost: m.Cost}
			}
		}
		out = append(out, t)
	}
	return out
}

// tableFor returns the table of the highest min version <= v.
func tableFor(v Version) *table {
	t := tables[0]
	for _, c := range tables {
		if c.min.Compare(v) <= 0 {
			t = c
		}
	}
	return t
}

// CoreMethods returns the registry's core method entries, in table order
// (a method served differently by version has one entry per range).
func CoreMethods() []Method { return slices.Clone(coreMethods) }

// RemovedMethods lists the client methods of older protocol versions,
// reserved and answering "unknown method".
func RemovedMethods() []string { return slices.Clone(removedMethods) }

// MethodNames lists every core client method name of every protocol
// version, and the removed ones, sorted.
func MethodNames() []string {
	seen := map[string]bool{}
	for _, m := range coreMethods {
		seen[m.Name] = true
	}
	for _, name := range removedMethods {
		seen[name] = true
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
