package sdk

// ProtocolVersion is the major version of the plugin wire protocol. It is the
// go-plugin protocol version offered through VersionedPlugins.
const ProtocolVersion = 1

// Version is the SDK release. Its major number always equals ProtocolVersion.
const Version = "1.0.0"
