// Package hostsvc is the host side of the plugin host services (sdk.Host):
// what amberd offers to its plugins over the go-plugin broker. Server
// answers header, tip, paged history, unspent-output and merkle-branch
// reads from the index, and streams new-tip events that the index's Notify
// hook feeds through Publish. pluginhost serves a Server to a plugin with
// hostside.MethodsClient.WithHost (or hostside.ServeHost).
//
// History paging stays in bounded memory when the index offers HistoryPage
// (a key scan from a tx number); without it Server reads at most
// Options.FallbackHistoryLimit entries per page and refuses larger
// histories.
package hostsvc
