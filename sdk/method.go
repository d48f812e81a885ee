package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// reservedNamespaces are the core's method namespaces; pluginSlots are the
// names in them left to a plugin. Read through ReservedNamespaces,
// PluginSlots and ReservedNamespace; amberd reads the same lists.
var (
	reservedNamespaces = []string{"server.", "blockchain.", "mempool."}
	pluginSlots        = []string{"blockchain.transaction.bmm_merkle"}
)

// ReservedNamespaces returns the core's method namespaces (a fresh copy):
// amberd refuses at start-up a plugin that declares a method whose name
// starts with one of them, whether or not the core serves that name today,
// but for the names of PluginSlots.
func ReservedNamespaces() []string { return slices.Clone(reservedNamespaces) }

// PluginSlots returns the names in the reserved namespaces that amberd
// leaves to a plugin (a fresh copy): blockchain.transaction.bmm_merkle is
// served by the first-party bmm plugin (docs/bmm.md). docs/methods.md
// ("Reserved names") lists them.
func PluginSlots() []string { return slices.Clone(pluginSlots) }

// ReservedNamespace returns the reserved namespace (one of
// ReservedNamespaces) that method lies in, or "" if none or if method is
// one of PluginSlots.
func ReservedNamespace(method string) string {
	if slices.Contains(pluginSlots, method) {
		return ""
	}
	for _, ns := range reservedNamespaces {
		if strings.HasPrefix(method, ns) {
			return ns
		}
	}
	return ""
}

// IsReserved reports whether a plugin may not declare method: it lies in
// one of ReservedNamespaces and is not one of PluginSlots.
func IsReserved(method string) bool { return ReservedNamespace(method) != "" }

// MethodSpec declares one JSON-RPC method a plugin adds to amberd.
type MethodSpec struct {
	// Name is the method name clients call. It must be namespaced with a
	// dot ("hello.world") and must not be in the core's namespaces
	// (ReservedNamespaces: server., blockchain., mempool.; IsReserved):
	// amberd refuses such a plugin at start-up (docs/methods.md lists the
	// methods).
	Name string
	// MinArgs and MaxArgs bound the number of positional parameters; the
	// host answers calls outside the range itself (JSON-RPC -32602).
	MinArgs, MaxArgs int
	// ParamNames, when set, names the MaxArgs parameters in order and lets
	// clients call the method with a by-name params object. Optional.
	ParamNames []string
	// Cost is charged to the client session on every call, in the units
	// of docs/protocol.md, Sessions and costs (a cheap lookup is about 0.1).
	Cost float64
	// MinProtocol is the lowest negotiated Electrum protocol version that
	// sees the method, e.g. "1.4"; sessions below it get "unknown method"
	// (-32601). Empty means every version.
	MinProtocol string
}

// Validate checks that the spec is well formed: a non-empty dotted name
// without spaces, 0 <= MinArgs <= MaxArgs, ParamNames empty or MaxArgs
// distinct non-empty names, a finite Cost >= 0, and MinProtocol empty or a
// dotted version like "1.4".
func (m MethodSpec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case m.Name == "":
		bad("empty method name")
	case strings.IndexFunc(m.Name, unicode.IsSpace) >= 0 || !utf8Printable(m.Name):
		bad("method name %q contains spaces or control characters", m.Name)
	case !strings.Contains(strings.Trim(m.Name, "."), "."):
		bad("method name %q is not namespaced (want \"<plugin>.<method>\")", m.Name)
	}
	if m.MinArgs < 0 || m.MaxArgs < m.MinArgs {
		bad("%s: bad arity: MinArgs %d, MaxArgs %d (want 0 <= MinArgs <= MaxArgs)", m.Name, m.MinArgs, m.MaxArgs)
	}
	if len(m.ParamNames) > 0 {
		if len(m.ParamNames) != m.MaxArgs {
			bad("%s: %d ParamNames for MaxArgs %d", m.Name, len(m.ParamNames), m.MaxArgs)
		}
		seen := map[string]bool{}
		for _, n := range m.ParamNames {
			if n == "" || seen[n] {
				bad("%s: parameter name %q is empty or repeated", m.Name, n)
			}
			seen[n] = true
		}
	}
	if m.Cost < 0 || math.IsNaN(m.Cost) || math.IsInf(m.Cost, 0) {
		bad("%s: cost %v must be a finite number >= 0", m.Name, m.Cost)
	}
	if m.MinProtocol != "" {
		if _, err := parseProtocol(m.MinProtocol); err != nil {
			bad("%s: MinProtocol: %w", m.Name, err)
		}
	}
	return errors.Join(errs...)
}

func utf8Printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// parseProtocol parses a dotted Electrum protocol version such as "1.4" or
// "1.4.2" into its numbers.
func parseProtocol(s string) ([]int, error) {
	parts := strings.Split(s, ".")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("protocol version %q: want dotted non-negative integers like \"1.4\"", s)
		}
		v[i] = n
	}
	return v, nil
}

// SessionInfo describes the client session a method call comes from.
type SessionInfo struct {
	ID         uint64 // session id, unique for the life of amberd
	Protocol   string // negotiated Electrum protocol version, e.g. "1.4.2"
	RemoteAddr string // client address as amberd sees it
}

// MethodProvider is the contract of a plugin that adds JSON-RPC methods
// (with the Lifecycle every role embeds; BasicPlugin is one).
//
// Methods is called once by the host after Configure; the set is fixed for
// the life of the plugin process. Call answers one client request: params is
// a JSON array of positional parameters whose length the host has already
// checked against MinArgs/MaxArgs (by-name calls are converted using
// ParamNames; absent optional parameters are omitted at the end or null in
// the middle). The result is sent to the client unchanged and must be valid
// JSON (nil means null).
//
// Errors should be *Error values: KindInvalidArgument becomes a BAD_REQUEST
// (1) reply with the error's message, and so on through amberd's kind
// table (docs/writing-plugins.md, Errors); a KindInternal error is logged by the host and the client
// sees a generic internal error. Call must return promptly when ctx is
// cancelled (the client went away or the request timed out).
type MethodProvider interface {
	Lifecycle
	Methods(ctx context.Context) ([]MethodSpec, error)
	Call(ctx context.Context, method string, params json.RawMessage, session SessionInfo) (json.RawMessage, error)
}
