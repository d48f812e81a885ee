// Package sdktest is the test kit for Amber plugins and the host: NewChain
// connects a ChainBackend implementation to the real host-side adapter over an
// in-process gRPC connection (the same wire code a plugin process uses),
// ConformChain checks a backend against the ChainBackend contract, and Fake is
// an in-memory ChainBackend for tests of code that consumes one.
package sdktest
