package store

import (
	"reflect"
	"unsafe"

	"github.com/tidwall/buntdb"
)

// presizeTxMaps gives the write context of tx (buntdb v1.3.0's unexported
// txWriteContext) rollback and commit maps with room for n keys, so that the
// n Sets/Deletes of a flush do not grow them step by step (rehashing showed
// up as ~10 % of initial-sync CPU). It only replaces maps that are still
// empty, and does nothing if buntdb's layout is not the expected one: it is
// purely an optimisation (TestPresizeTxMaps pins that it takes effect).
func presizeTxMaps(tx *buntdb.Tx, n int) bool {
	wc := reflect.ValueOf(tx).Elem().FieldByName("wc")
	if !wc.IsValid() || wc.Kind() != reflect.Pointer || wc.IsNil() {
		return false
	}
	ok := false
	for _, name := range [...]string{"rollbackItems", "commitItems"} {
		f := wc.Elem().FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Map || f.Type().Key().Kind() != reflect.String || f.IsNil() || f.Len() != 0 {
			continue
		}
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
		f.Set(reflect.MakeMapWithSize(f.Type(), n))
		ok = true
	}
	return ok
}
