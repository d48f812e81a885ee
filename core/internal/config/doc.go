// Package config loads amberd's configuration.
//
// Sources, lowest to highest precedence: built-in defaults, a YAML or TOML
// file (by extension; --config or AMBER_CONFIG), the environment, and
// command-line flags. The environment is read under two spellings: ElectrumX's
// own variable names (COIN, DAEMON_URL, DB_DIRECTORY, ...) so that an
// ElectrumX environment file works unchanged, and AMBER_<KEY> (which wins over
// the ElectrumX name). Nested keys use a double underscore in the environment:
// AMBER_PLUGINS__BITCOIND__PATH is plugins.bitcoind.path.
//
// Loading is strict: unknown keys in the file, unknown AMBER_* variables,
// obsolete ElectrumX variables and malformed values stop start-up with a
// *KeyError naming the key and where the value came from.
//
// Files (config, banners) are read through an afero.Fs so tests run on an
// in-memory file system.
package config
