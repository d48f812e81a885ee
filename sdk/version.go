package sdk

import "github.com/amber-electrum/amber/sdk/internal/wire"

// ProtocolVersion is the major version of the plugin wire protocol, the
// go-plugin protocol version amberd and a plugin negotiate at start-up
// (see "Compatibility" in the package doc for when it changes).
const ProtocolVersion = wire.ProtocolVersion

// Version is the SDK release, the module version of its sdk/vX.Y.Z tag.
const Version = "1.0.0"

// MaxMessageSize is the largest gRPC message, in bytes, either side of the
// plugin connection sends or accepts (64 MiB). It bounds one unary reply
// and one streamed block; a larger message fails that call with a clear
// error instead of exhausting memory.
const MaxMessageSize = wire.MaxMessageSize
