// Package sdk is Amber's plugin SDK: the wire contract between amberd and
// its plugins, and everything a plugin author needs to implement one.
//
// A plugin is a separate program started by amberd through
// github.com/hashicorp/go-plugin (gRPC transport, AutoMTLS). The contract is
// defined by the .proto files under proto/ and the Go interfaces in this
// package; plugin authors implement an interface such as ChainBackend and call
// Serve from main. The host side (amberd) uses the client adapters in this
// package, so both ends are generated from one definition.
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
