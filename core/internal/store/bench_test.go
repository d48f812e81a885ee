package store

import (
	"context"
	"encoding/binary"
	"math/rand"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStore measures each disk engine on the index's two hot paths:
// write batches of 10,000 random 37-byte keys (outpoint-like) with
// 28-byte values, a tenth of them deleted again in the same batch, and
// point reads of existing keys. Run with
//
//	go test -run '^$' -bench Store ./core/internal/store/
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	const batch = 10_000
	val := make([]byte, 28)
	key := func(r *rand.Rand, k []byte) []byte {
		k = append(k[:0], 'O')
		for i := 0; i < 4; i++ {
			k = binary.BigEndian.AppendUint64(k, r.Uint64())
		}
		return binary.BigEndian.AppendUint32(k, r.Uint32()%4)
	}
	for _, e := range diskEngines {
		b.Run(e.name+"/write-batch", func(b *testing.B) {
			s := e.open(b, b.TempDir())
			defer s.Close()
			r := rand.New(rand.NewSource(1))
			k := make([]byte, 0, 37)
			b.SetBytes(batch * (37 + 28))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := s.Update(ctx, func(tx RWTx) error {
					f := tx.(FreshSetter)
					for j := 0; j < batch; j++ {
						k = key(r, k)
						if err := f.SetFresh(k, val); err != nil {
							return err
						}
						if j%10 == 0 {
							if err := tx.Delete(k); err != nil {
								return err
							}
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(e.name+"/point-read", func(b *testing.B) {
			s := e.open(b, b.TempDir())
			defer s.Close()
			r := rand.New(rand.NewSource(2))
			keys := make([][]byte, 0, 100_000)
			for len(keys) < cap(keys) {
				err := s.Update(ctx, func(tx RWTx) error {
					for j := 0; j < batch; j++ {
						k := key(r, nil)
						keys = append(keys, k)
						if err := tx.Set(k, val); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			err := s.View(ctx, func(tx Tx) error {
				for i := 0; i < b.N; i++ {
					if _, err := tx.Get(keys[r.Intn(len(keys))]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkPebbleSyncBatch measures one initial-sync-sized commit on
// pebble as amberd opens it with cache_mb 500 and db_sync everysecond:
// 400,000 random outpoint-like rows (about 26 MB, above pebble's
// large-batch threshold) per Update. cpu-ms/op is the process's CPU time
// (user+system, compactions included), steadier than wall time on a
// shared machine.
//
//	go test -run '^$' -bench PebbleSyncBatch -benchtime 8x ./core/internal/store/
func BenchmarkPebbleSyncBatch(b *testing.B) {
	ctx := context.Background()
	s, err := OpenPebble(b.TempDir(), PebbleOptions{Sync: SyncEverySecond, CacheMB: 500})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewSource(3))
	k := make([]byte, 37)
	val := make([]byte, 28)
	const rows = 400_000
	b.SetBytes(rows * (37 + 28))
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := s.Update(ctx, func(tx RWTx) error {
			f := tx.(FreshSetter)
			for j := 0; j < rows; j++ {
				r.Read(k)
				if err := f.SetFresh(k, val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
