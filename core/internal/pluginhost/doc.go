// Package pluginhost launches Amber plugins as child processes, connects to
// them and supervises them.
//
// pluginhost supervises any plugin and knows no role: which plugin is the
// chain backend, the fee estimator or a method provider is the core's
// decision (core/internal/roles), taken from the capabilities Describe
// lists, and the role adapters (core/internal/chainrole,
// roles.MethodProvider, roles.FeeEstimator) are built on Call and the
// Setup hooks.
//
// Launch is Start then Configure. Start: go-plugin with gRPC only,
// AutoMTLS, an explicit environment, an optional sha256 pin of the binary
// (verified at every start, restarts included), the SDK's handshake and
// Describe, and plugin logs re-emitted through log/slog; the caller reads
// Describe and picks the plugin's role. Configure: the optional
// Setup.Capability check, Configure with Setup.Config (through
// hostside.MethodsClient.WithHost when Setup.Host is set: the host
// services are served on the process's go-plugin broker and the plugin's
// HostAware implementations get them), Describe again and the role's
// Setup.Ready hook. The host offers every service kind (chain backend,
// method provider, fee estimator) and dispenses their sdk/hostside client
// adapters, one Conn per process; a call to a kind the plugin does not
// serve answers KindUnimplemented. A plugin that prints to stdout before
// its handshake, speaks another protocol version, lacks the capability or
// does not match its pin is refused with an error that says so and names
// the config key to fix; one built with another handshake cookie
// (go-plugin's "This binary is a plugin") is refused as a magic cookie
// mismatch, with both cookies when the plugin reports its own.
//
// Call runs a function on the current process's Conn: callers holding a
// Plugin follow restarts and never reconnect. While no process runs every
// call fails at once with a KindUnavailable *sdk.Error `plugin "<name>" is
// not running` (DAEMON_ERROR for Electrum clients); calls in flight when
// the process dies fail the same way.
//
// Supervision (Spec.Restart): a plugin whose process exits unexpectedly is
// restarted after Delay, doubling per crash counted in CrashWindow up to
// MaxDelay. A restart goes through the same start-up (binary checksum,
// handshake, capability check, Configure with the host services on the
// new process's broker, Setup.Ready: the chain role replays its daemon URLs
// there and refuses another genesis block with Refuse, which fails the
// plugin for good). After a successful restart Setup.OnRestart runs (the
// server registers the plugin's methods again); the dead process's
// connection and broker are released. A start that fails counts as a
// crash; CrashLimit crashes within CrashWindow open the crash-loop
// breaker. A plugin that will not come back is in StateFailed, its Done
// channel is closed and the reason is logged as an error with the last
// lines of its stderr. The zero RestartPolicy never restarts. State,
// Restarts, Crashes, Err and LastError (kept across restarts) report this
// for getinfo, admin plugins and metrics. The backoff uses the time
// package directly; the tests drive it with testing/synctest.
//
// Restart is the operator's way back (admin plugin_restart): it clears the
// breaker's crash count and the failure, replaces a running process or
// cancels a pending backoff, starts the plugin with the same checks,
// runs Setup.OnRestart and resumes supervision; Done is open again.
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
// sets it on every call (hostside.CallOptions as default call options of
// the connection); the plugin side sets it on its server in sdk.Serve
// (hostside.ServerOptions). A larger message fails that one call with an
// error instead of exhausting memory.
package pluginhost
