// Package store is the small ordered key-value interface the chain index is
// written against, with a buntdb engine (one append-only file, or memory).
//
// Keys and values are arbitrary bytes. A View sees one consistent snapshot;
// an Update is one atomic transaction that is either entirely on disk after a
// crash or not at all. Other engines (pebble, bolt) can be added behind the
// same interface without touching the index.
package store
