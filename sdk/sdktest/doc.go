// Package sdktest is the test kit for Amber plugins and the host. Every
// helper goes through the real wire code a plugin process uses (an
// in-process gRPC connection, go-plugin's broker included), so a test
// exercises the same conversions as amberd.
//
// Chain backends: NewChain connects a ChainBackend implementation to the
// host-side adapter, ConformChain checks a backend against the
// ChainBackend contract, and Fake is an in-memory ChainBackend for tests of
// code that consumes one.
//
// Method providers: NewMethods serves a MethodProvider and returns the
// host-side *hostside.MethodsClient (WithHost before Configure hands the
// plugin host services), NewPlugin serves any plugin value as sdk.Serve
// would and returns the adapter of every role it serves (chain backend,
// method provider, fee estimator), PluginSet is that plugin side for a
// test running its own go-plugin server, ConformMethods checks a provider
// against the MethodProvider contract (well-formed MethodSpecs, calls that
// fail only with *sdk.Error of a known kind, JSON results, no method in the
// core's namespaces, no call outliving the request timeout:
// WithRequestTimeout, DefaultRequestTimeout), CallMethod makes one call
// held to that timeout, and FakeHost is an in-memory sdk.Host (headers,
// histories with cursors, UTXOs, merkle branches, published block events)
// that records the calls a plugin makes. WireHost serves a Host as amberd
// does and returns the Host a plugin receives for it.
//
// go-plugin's own log lines go to the test log only when the test fails.
package sdktest
