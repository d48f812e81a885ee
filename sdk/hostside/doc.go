// Package hostside is the host's end of the plugin connection: what amberd
// (or a test of a host) needs to launch and call plugins written with
// package sdk. Plugin authors do not import it.
//
// It holds the go-plugin handshake and plugin sets (Handshake,
// PluginSets), the role adapters that implement the sdk role interfaces
// over gRPC (ChainClient, MethodsClient, FeeClient), the servers of the
// host services (ServeHost, RegisterHost, RegisterFeeHost), the status
// conversions (ToStatus, FromStatus), the gRPC size options, amberd's
// mapping of error kinds to Electrum codes (ElectrumCode, KindTable) and
// its refusal of methods in reserved namespaces (CheckReserved). The wire
// messages are internal to the SDK module; both ends are generated from
// the same .proto files (sdk/proto).
package hostside
