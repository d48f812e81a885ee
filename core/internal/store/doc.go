// Package store is the small ordered key-value interface the chain index is
// written against, with two engines: pebble (an LSM tree in one directory,
// the default) and buntdb (one append-only file loaded into memory, or
// memory only for tests). Open picks the engine by name and refuses a
// database directory that holds the other engine's index.
//
// Keys and values are arbitrary bytes. A View sees one consistent snapshot;
// an Update is one atomic transaction that is either entirely on disk after a
// crash or not at all. The index code sees only the interface.
package store
