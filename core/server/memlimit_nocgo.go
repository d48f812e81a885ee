//go:build !cgo

package server

// cgoEnabled: without cgo pebble's block cache and memtables are in the
// Go heap.
const cgoEnabled = false
