// Package sdk is Amber's plugin SDK: the wire contract between amberd and
// its plugins, and everything a plugin author needs to implement one.
//
// A plugin is a separate program started by amberd through
// github.com/hashicorp/go-plugin (gRPC transport, AutoMTLS). The contract is
// defined by the .proto files under proto/ and the Go interfaces in this
// package; plugin authors implement one or more of its interfaces and call
// Serve (or ServePlugin) from main. The host side (amberd) uses the client
// adapters in this package, so both ends are generated from one definition.
//
// # Plugin kinds
//
// One plugin process serves one or both kinds, each announced as a
// capability in Describe:
//
//   - ChainBackend (CapChainBackend, plugin-set name PluginChain) talks to
//     the coin's daemon for the index; the host adapter is ChainClient.
//   - MethodProvider (CapMethodProvider, PluginMethods) adds namespaced
//     Electrum JSON-RPC methods (MethodSpec: arity, by-name parameters,
//     cost, minimum protocol); the host adapter is MethodsClient.
//
// Every plugin answers the Lifecycle calls (Describe, Configure, Shutdown);
// ChainBackend includes them, and BasicPlugin is a ready-made Lifecycle for
// a method provider without configuration. Serve(ServeOpts{ChainBackend,
// MethodProvider}) serves either or both; ServePlugin(PluginOpts) also
// takes an explicit Lifecycle, e.g. for a method provider that does not
// implement one itself. Both add the served capabilities to Describe, route
// the standard library logger to hclog JSON on stderr (the host keeps the
// levels), set the MaxMessageSize limits and exit the plugin when its host
// process goes away.
//
// # Host services
//
// amberd offers its plugins reads of its index and its new-tip events: the
// Host interface (tip, headers, paged script-hash history, unspent outputs,
// merkle branches, block events). The host serves them on go-plugin's
// broker and passes the broker id in Configure (MethodsClient
// ConfigureWithHost, ServeHost on the host side); the plugin side connects
// and hands a HostClient to every implementation that implements HostAware
// (BasicPlugin does: BasicPlugin.Host), before its Configure runs. A host
// that offers no services sends no broker id, and HostAware is never
// called.
//
// # Testing
//
// Package sdktest connects implementations to the real host-side adapters
// over in-process gRPC: NewChain and ConformChain for chain backends,
// NewMethods, NewPlugin and ConformMethods for method providers, and the
// in-memory Fake (a ChainBackend) and FakeHost (a Host).
//
// # Versioning
//
// ProtocolVersion is the SDK's major protocol version; it is the go-plugin
// protocol version negotiated through VersionedPlugins at start-up. Within a
// major version only additive changes are allowed: new RPCs, new optional
// message fields, new capability strings. A host discovers them through the
// Describe RPC; a plugin built against an older minor SDK answers
// codes.Unimplemented for RPCs it does not know, which the host treats as
// "not supported", never as a crash. Removing or renaming an RPC or a field,
// or changing its meaning, requires a new major version.
//
// # Errors
//
// Errors cross the wire as gRPC statuses carrying an ErrorDetail message with
// the SDK error Kind. The table in errors.go maps each Kind to its gRPC code
// and to the Electrum JSON-RPC error code the host answers clients with.
package sdk
