// Package archtest holds tests that enforce the repository's structure:
// every package of every module (server, SDK, bench tool, examples) has a
// doc comment; the SDK module never depends on the server; the layers
// inside core keep their direction (the store imports no core package, the
// index knows no session or protocol, the session layer no protocol layer,
// transports no session, and only core/server reads the config), test
// imports included; the shipped binaries link no test helper; plugins
// depend only on the SDK, coins, the shared leaf core/merkle and libraries
// (their tests also on core/regtest and core/testenv), and no plugin
// imports another (shared plugin code lives under plugins/internal); the
// examples, tests included, depend on the SDK module alone; and Go and proto
// sources cite documents under docs/, never spec files outside the
// repository. It has no code of its own.
package archtest
