// Package archtest holds tests that enforce the repository's structure:
// every package has a doc comment, the SDK module never depends on the
// server, plugins and examples depend only on the SDK, coins and
// third-party libraries, and no plugin imports another (shared plugin code
// lives under plugins/internal). It has no code of its own.
package archtest
