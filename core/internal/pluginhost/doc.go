// Package pluginhost launches Amber plugins as child processes and connects
// to them: go-plugin with gRPC only, AutoMTLS, an explicit environment, an
// optional sha256 pin of the binary, orphan prevention (process group and
// parent-death signal), the Describe/Configure handshake of the SDK, plugin
// logs re-emitted through log/slog, and a ChainBackend adapter whose calls
// fail promptly with sdk.KindUnavailable once the plugin process is gone.
//
// Restarting a crashed plugin is not done here yet; Plugin reaches its
// current process through an atomic pointer so that a supervisor can swap in
// a new instance later without changing the adapter callers hold.
package pluginhost
