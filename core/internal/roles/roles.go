// Package roles is the core's table of plugin roles and the assignment of
// loaded plugins to them. A plugin gets a role by listing the role's
// capability in its Describe answer, whatever its config block is called:
// the chain backend is the plugin that declares "chain-backend", not the
// one named "bitcoind".
//
// The table (Table) says for each role its capability and whether one
// plugin or many may hold it. Assign checks what the plugins declare
// against it: two plugins claiming a single-instance role, no chain
// backend, or a plugin that declares no role capability at all stop
// start-up with an error naming the plugins (config name and binary).
//
// MethodProvider and FeeEstimator are the role adapters of the method
// provider and fee estimator roles (the chain backend's is
// core/internal/chainrole): typed sdk interfaces over pluginhost.Call and
// the sdk/hostside clients, following the plugin's restarts.
package roles

import (
	"fmt"
	"slices"
	"strings"

	"github.com/amber-electrum/amber/sdk"
)

// Role names, as admin plugins reports them.
const (
	Chain   = "chain"   // the daemon client, feeding the index
	Fees    = "fees"    // the fee estimator
	Methods = "methods" // a method provider (namespaced Electrum methods)
)

// Spec is one row of the role table.
type Spec struct {
	Role       string // Chain, Fees, Methods
	Capability string // the sdk.Cap* string a plugin declares to take the role
	Single     bool   // at most one plugin may hold the role
	Required   bool   // start-up needs a plugin in this role
}

// Table is the role table, in the order roles are reported.
var Table = []Spec{
	{Role: Chain, Capability: sdk.CapChainBackend, Single: true, Required: true},
	{Role: Fees, Capability: sdk.CapFeeEstimator, Single: true},
	{Role: Methods, Capability: sdk.CapMethodProvider},
}

// Plugin is what Assign needs to know of one loaded plugin.
type Plugin struct {
	Name         string   // config block name (plugins.<name>)
	Path         string   // binary
	Capabilities []string // from Describe
}

func (p Plugin) String() string { return fmt.Sprintf("%q (plugins.%s, %s)", p.Name, p.Name, p.Path) }

// Assignment is which plugins hold which role.
type Assignment struct {
	table   []Spec
	holders map[string][]string // role -> plugin names, in input order
	roles   map[string][]string // plugin name -> its roles, in table order
}

// Holders returns the names of the plugins holding role, in the order the
// plugins were given to Assign.
func (a Assignment) Holders(role string) []string { return slices.Clone(a.holders[role]) }

// Holder returns the plugin holding a single-instance role ("" for none).
func (a Assignment) Holder(role string) string {
	if h := a.holders[role]; len(h) > 0 {
		return h[0]
	}
	return ""
}

// Has reports whether plugin name holds role.
func (a Assignment) Has(name, role string) bool { return slices.Contains(a.roles[name], role) }

// RolesOf returns the roles of plugin name in table order.
func (a Assignment) RolesOf(name string) []string { return slices.Clone(a.roles[name]) }

// Label is the role column of admin plugins: the plugin's roles joined by
// "," ("" for a plugin Assign did not see).
func (a Assignment) Label(name string) string { return strings.Join(a.roles[name], ",") }

// Assign gives each plugin the roles whose capability it declares, using
// table (normally Table). It fails when two plugins claim a
// single-instance role (naming both), when a required role has no plugin,
// or when a plugin declares none of the table's capabilities (a plugin
// amberd would start and never use).
func Assign(table []Spec, plugins []Plugin) (Assignment, error) {
	a := Assignment{table: table, holders: map[string][]string{}, roles: map[string][]string{}}
	for _, p := range plugins {
		for _, r := range table {
			if !slices.Contains(p.Capabilities, r.Capability) {
				continue
			}
			if prev := a.holders[r.Role]; r.Single && len(prev) > 0 {
				return Assignment{}, fmt.Errorf("plugins %s and %s both declare the %q capability; only one plugin may be the %s role: remove one of the blocks",
					byName(plugins, prev[0]), p, r.Capability, r.Role)
			}
			a.holders[r.Role] = append(a.holders[r.Role], p.Name)
			a.roles[p.Name] = append(a.roles[p.Name], r.Role)
		}
		if len(a.roles[p.Name]) == 0 {
			return Assignment{}, fmt.Errorf("plugin %s declares none of the role capabilities %s (it lists %q)",
				p, capList(table), p.Capabilities)
		}
	}
	for _, r := range table {
		if r.Required && len(a.holders[r.Role]) == 0 {
			return Assignment{}, &MissingError{Spec: r, Plugins: plugins}
		}
	}
	return a, nil
}

// MissingError is Assign's error for a required role that no plugin holds.
type MissingError struct {
	Spec    Spec
	Plugins []Plugin
}

func (e *MissingError) Error() string {
	var loaded []string
	for _, p := range e.Plugins {
		loaded = append(loaded, p.String())
	}
	have := "no plugins are configured"
	if len(loaded) > 0 {
		have = "loaded: " + strings.Join(loaded, ", ")
	}
	return fmt.Sprintf("no plugin declares the %q capability, so amberd has no %s role (%s): configure one under plugins.<name>",
		e.Spec.Capability, e.Spec.Role, have)
}

func byName(plugins []Plugin, name string) Plugin {
	for _, p := range plugins {
		if p.Name == name {
			return p
		}
	}
	return Plugin{Name: name}
}

func capList(table []Spec) string {
	caps := make([]string, len(table))
	for i, r := range table {
		caps[i] = fmt.Sprintf("%q", r.Capability)
	}
	return strings.Join(caps, ", ")
}

// Gained returns the role capabilities caps (what a restarted plugin now
// declares) lists beyond the roles plugin name was assigned at start-up:
// roles are assigned once, so those are ignored until amberd restarts.
func (a Assignment) Gained(name string, caps []string) []string {
	var out []string
	for _, spec := range a.table {
		if slices.Contains(caps, spec.Capability) && !slices.Contains(a.roles[name], spec.Role) {
			out = append(out, spec.Capability)
		}
	}
	return out
}

// Check reports an error when caps (what a restarted plugin now declares)
// lack the capability of a role plugin name was assigned: a new binary may
// not drop a role the core relies on.
func (a Assignment) Check(name string, caps []string) error {
	for _, r := range a.roles[name] {
		for _, spec := range a.table {
			if spec.Role == r && !slices.Contains(caps, spec.Capability) {
				return fmt.Errorf("plugin %q no longer declares the %q capability of its %s role (it lists %q); refusing it",
					name, spec.Capability, r, caps)
			}
		}
	}
	return nil
}
