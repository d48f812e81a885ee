package admin

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/index"
)

// TestGetinfoSyncPace: amber.sync carries the index's sync pace (rates,
// ETA) next to the heights and percent.
func TestGetinfoSyncPace(t *testing.T) {
	r := newRig(t, nil)
	r.ix.mu.Lock()
	r.ix.status = index.Status{DBHeight: 250, DaemonHeight: 1000, Commits: 3,
		Sync: index.SyncProgress{TxRate: 15234.4, BlockRate: 12.34, Percent: 25, ETA: 61 * time.Second}}
	r.ix.mu.Unlock()
	a := r.dial(r.rpcAddr)
	var info map[string]json.RawMessage
	a.ok(&info, "getinfo", map[string]any{})
	var amber struct {
		Sync map[string]any `json:"sync"`
	}
	if err := json.Unmarshal(info[AmberKey], &amber); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]float64{
		"db height": 250, "daemon height": 1000, "percent": 25,
		"tx per s": 15234, "blocks per s": 12.3, "eta seconds": 61,
	} {
		if got, ok := amber.Sync[key].(float64); !ok || got != want {
			t.Errorf("amber.sync[%q] = %v, want %v", key, amber.Sync[key], want)
		}
	}
}
