// Package extmethods routes the JSON-RPC methods that method-provider
// plugins declare (sdk.MethodProvider). Dispatcher wraps the core's
// session.Dispatcher (package electrum): a request for a registered plugin
// method is checked (negotiated protocol version, arity, by-name
// parameters), charged its declared cost, and sent to the plugin; every
// other request goes to the inner dispatcher unchanged. Plugin errors are
// mapped to Electrum error codes through the SDK's one kind table.
//
// Registration refuses methods that shadow a core method and names two
// plugins both claim, so a client always reaches the implementation the
// operator expects.
package extmethods
