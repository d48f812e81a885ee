// Package admin implements amberd's admin RPC (admin-rpc.md): a session
// Dispatcher for rpc:// sessions that answers operator methods such as
// getinfo and stop from the server's live state.
package admin
