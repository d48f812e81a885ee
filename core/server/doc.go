// Package server assembles amberd from its parts: configuration, logging,
// the daemon-client plugin, the store and index, the session manager with
// the Electrum and admin handler factories, and the listeners. cmd/amberd calls
// Run and nothing else.
package server
