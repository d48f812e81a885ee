// Package histpage is the history plugin's method provider: the JSON-RPC
// method
//
//	amber.scripthash.get_history_page(scripthash, cursor=null, limit=null)
//	  -> {"history": [{"tx_hash": hex, "height": int[, "fee": int]}, ...],
//	      "next": cursor | null}
//
// pages through a script hash's history (confirmed entries in chain order,
// then mempool entries, as blockchain.scripthash.get_history orders them;
// mempool entries carry "fee" like there). It serves script hashes whose
// history is far beyond the core's "history too large" limit: each call
// reads exactly one page from amberd through the host services
// (sdk.Host.History), so memory per call is bounded by the page size, never
// by the history's length.
//
// Parameters:
//   - scripthash: 64 hex characters, as for the core methods; anything else
//     is BAD_REQUEST "<value> is not a valid script hash".
//   - cursor: null or "" for the first page, then the "next" value of the
//     previous page, unchanged. Cursors are opaque (the host's); a stale or
//     foreign cursor is a BAD_REQUEST from the host.
//   - limit: entries per page, default 1000 (DefaultLimit); a positive
//     integer, larger values are clamped to 10000 (MaxLimit).
//
// "next" is null on the last page. Pages are read at different times: a
// reorg or a transaction that confirms between two calls may repeat or skip
// an entry (see sdk.Host.History).
//
// The method takes no configuration; it needs amberd's host services and
// answers DAEMON_ERROR (KindUnavailable) without them.
package histpage
