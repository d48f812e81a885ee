// Package pluginhost launches Amber plugins as child processes, connects to
// them and supervises them.
//
// Launch: go-plugin with gRPC only, AutoMTLS, an explicit environment, an
// optional sha256 pin of the binary (verified at every start, restarts
// included), the Describe/Configure handshake of the SDK, and plugin logs
// re-emitted through log/slog. The host offers both service kinds (chain
// backend and method provider) and dispenses both adapters; Describe must
// list Spec.Capability (default chain-backend, method-provider for a
// method provider). With Spec.Host set, Configure goes through
// hostside.MethodsClient.WithHost: the host services are served on the
// process's go-plugin broker and the plugin's HostAware implementations get
// them. A plugin that prints to stdout before its handshake, speaks another
// protocol version, lacks the capability or does not match its pin is
// refused with an error that says so and names the config key to fix; one
// built with another handshake cookie (go-plugin's "This binary is a
// plugin") is refused as a magic cookie mismatch, with both cookies when
// the plugin reports its own.
//
// Chain and Methods return one adapter each for the plugin's whole life.
// They reach the current process through an atomic pointer, so they follow
// restarts: callers never reconnect. While no process runs every call fails
// at once with a KindUnavailable *sdk.Error `plugin "<name>" is not running`
// (DAEMON_ERROR for Electrum clients); calls in flight when the process dies
// fail the same way.
//
// Supervision (Spec.Restart): a plugin whose process exits unexpectedly is
// restarted after Delay, doubling per crash counted in CrashWindow up to
// MaxDelay. A restart goes through the same start-up (binary checksum,
// handshake, capability check, Configure with the host services on the
// new process's broker, the last SetDaemonURLs again) and is refused for
// good if the plugin now reports another genesis block. After a successful
// restart Spec.OnRestart runs (the server registers the plugin's methods
// again); the dead process's connection and broker are released. A
// start that fails counts as a crash; CrashLimit crashes within CrashWindow
// open the crash-loop breaker. A plugin that will not come back is in
// StateFailed, its Done channel is closed and the reason is logged as an
// error with the last lines of its stderr. The zero RestartPolicy never
// restarts. State, Restarts, Crashes, Err and LastError (kept across
// restarts) report this for getinfo, admin plugins and metrics; Spec.Clock
// makes the backoff testable.
//
// Restart is the operator's way back (admin plugin_restart): it clears the
// breaker's crash count and the failure, replaces a running process or
// cancels a pending backoff, starts the plugin with the same checks,
// runs Spec.OnRestart and resumes supervision; Done is open again.
//
// Shutdown stops supervision first (so that stopping is not taken for a
// crash; a pending restart is cancelled), sends the Shutdown RPC within its
// deadline, then go-plugin's Kill, then SIGKILL to the plugin's process
// group.
//
// Orphan prevention: each plugin runs in its own process group, and on
// Linux with a parent-death signal (SIGKILL). The signal fires when the
// thread that forked the child exits, so every start, restarts included,
// runs on a goroutine locked to its OS thread that lives as long as the
// child; a host killed with SIGKILL takes its plugins with it. Elsewhere the
// SDK's parent watchdog in sdk.Serve covers this.
//
// Message sizes: one gRPC message, in either direction, may be up to
// sdk.MaxMessageSize (64 MiB), well above gRPC's default 4 MiB. The host
// sets it on every call (hostside.CallOptions as default call options of the
// connection); the plugin side sets it on its server in sdk.Serve
// (hostside.ServerOptions). A larger message fails that one call with an error
// instead of exhausting memory.
package pluginhost
