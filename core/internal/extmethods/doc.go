// Package extmethods registers the JSON-RPC methods that method-provider
// plugins declare (sdk.MethodProvider) into the core's one method registry
// (electrum.Registry), next to the core methods. The registry checks each
// call (server.version first, negotiated protocol version, arity, by-name
// parameters) and charges its declared cost; this package lists a
// plugin's methods, forwards the calls to it and maps plugin errors to
// Electrum error codes through the SDK's one kind table.
//
// The registry refuses methods in the core's namespaces (server.,
// blockchain., mempool.; see sdk.ReservedNamespaces) and names two
// plugins both claim, so a client always reaches the implementation the
// operator expects. docs/methods.md lists every method.
package extmethods
