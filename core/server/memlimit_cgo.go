//go:build cgo

package server

// cgoEnabled: pebble allocates its block cache and memtables with C
// malloc, outside the Go heap.
const cgoEnabled = true
