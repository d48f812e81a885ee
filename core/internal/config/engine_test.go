package config

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestDBEngine: pebble is the default; db_engine and AMBER_DB_ENGINE take
// pebble or buntdb; ElectrumX's DB_ENGINE leveldb and rocksdb select
// pebble with one info line, and are refused under Amber's own names.
func TestDBEngine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		want    string
		wantErr bool
		infos   int
	}{
		{"default", nil, "pebble", false, 0},
		{"amber buntdb", []string{"AMBER_DB_ENGINE=buntdb"}, "buntdb", false, 0},
		{"amber pebble", []string{"AMBER_DB_ENGINE=PEBBLE"}, "pebble", false, 0},
		{"electrumx leveldb", []string{"DB_ENGINE=leveldb"}, "pebble", false, 1},
		{"electrumx rocksdb", []string{"DB_ENGINE=RocksDB"}, "pebble", false, 1},
		{"electrumx buntdb", []string{"DB_ENGINE=buntdb"}, "buntdb", false, 0},
		{"amber wins", []string{"DB_ENGINE=leveldb", "AMBER_DB_ENGINE=buntdb"}, "buntdb", false, 1},
		{"electrumx unknown", []string{"DB_ENGINE=lmdb"}, "", true, 0},
		{"amber leveldb", []string{"AMBER_DB_ENGINE=leveldb"}, "", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			c, err := Load(context.Background(), LoadOptions{Fs: memFS(t, nil), Environ: append(tc.env, required...), Logger: log})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "db_engine") {
					t.Fatalf("err = %v, want a db_engine error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DBEngine != tc.want {
				t.Errorf("DBEngine = %q, want %q", c.DBEngine, tc.want)
			}
			if n := strings.Count(buf.String(), "level=INFO"); n != tc.infos || (n > 0 && !strings.Contains(buf.String(), "pebble")) {
				t.Errorf("%d info lines, want %d:\n%s", n, tc.infos, buf.String())
			}
		})
	}
}
