// Package sdk is the contract between amberd, Amber's Electrum server, and
// its plugins: the types, errors and role interfaces a plugin implements,
// and Serve, which runs it. A plugin is a separate program that amberd
// starts and calls over gRPC (github.com/hashicorp/go-plugin, AutoMTLS);
// it imports this package and nothing of amberd's.
//
// # Roles
//
// A plugin hands Serve one value: a Lifecycle (Describe, Configure,
// Shutdown; BasicPlugin is a ready-made one) that implements one or more
// roles. Serve serves each role and lists its capability in Describe, and
// amberd picks the plugin for a role by that capability, never by the
// plugin's name in its config:
//
//   - ChainBackend (CapChainBackend) talks to the coin's daemon for the
//     index; optional extensions are PackageBroadcaster, MempoolInfoer and
//     ChainWatcher.
//   - MethodProvider (CapMethodProvider) adds namespaced Electrum JSON-RPC
//     methods, each declared by a MethodSpec.
//   - FeeEstimator (CapFeeEstimator) answers the core's
//     blockchain.estimatefee and blockchain.relayfee.
//
// # Host services
//
// amberd offers its index to plugins (tip, headers, paged history, unspent
// outputs, balances, merkle branches, new-tip events, the mempool fee
// histogram). The one way to reach them is HostAware: a plugin that
// implements it receives a Host before Configure runs. The Host is also a
// FeeHost and a BalanceHost; a service an older amberd lacks answers
// KindUnimplemented.
//
// # Errors
//
// Return *Error values (Errorf, DaemonError). The Kind crosses the wire
// and amberd maps it to the Electrum JSON-RPC error the client sees
// (docs/writing-plugins.md, Errors); any other error arrives as
// KindInternal.
//
// # Testing
//
// Package sdk/sdktest runs a plugin over the real wire inside go test:
// NewPlugin, NewMethods and NewChain return the adapters amberd uses,
// ConformChain and ConformMethods check the contracts, Fake and FakeHost
// are in-memory doubles. Package sdk/hostside is amberd's end of the
// connection; plugin authors do not need it.
//
// # Compatibility
//
// The SDK is the Go module github.com/amber-electrum/amber/sdk, released
// with tags sdk/vX.Y.Z (Go's form for a module in a subdirectory: tag
// sdk/v1.2.0 is version v1.2.0 of the module); Version holds the same
// number. It follows semantic versioning of its Go API: a minor release
// only adds (new types, functions, methods on concrete types, optional
// interfaces such as ChainWatcher, capability strings, struct fields); a
// patch release fixes bugs; removing or changing an exported name needs a
// new major version, whose module path ends in /v2, /v3, ... Interfaces a
// plugin implements never gain methods in a minor release: new behaviour
// comes as a new optional interface that the plugin opts into. A name due
// to go is marked "Deprecated:" in its doc comment for at least one minor
// release before the next major version removes it.
//
// ProtocolVersion is the wire protocol's major version, which amberd and a
// plugin negotiate at the go-plugin handshake; amberd refuses a plugin
// built for another one, naming both. It is independent of the module's
// version and changes only when the wire changes incompatibly: an RPC or
// message field removed, renamed or given another meaning. Additions (a
// new RPC or service, an optional field, a capability string) keep it: a
// peer that does not know an RPC answers UNIMPLEMENTED, which the other
// side treats as "not supported" (KindUnimplemented), never as a crash,
// and a role is used only when Describe lists its capability.
package sdk
