package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	crashChildEnv = "AMBER_STORE_CRASH_CHILD"
	crashKeys     = 300
)

// TestKillMidCommit kills (SIGKILL) a child process that commits without
// pause, at a random moment, three times on the same directory per engine
// and sync policy. Every commit sets generation n and replaces all the
// keys of generation n-1 by crashKeys keys of generation n, so a torn
// commit shows as a mix. After each kill the reopened store must hold
// exactly one generation, never older than the last commit acknowledged
// with db_sync always, and never newer than the commit in flight.
func TestKillMidCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; covered by the full run")
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	// "pebble-bulk": pebble committing every generation as a bulk load
	// (ingested tables).
	for _, engine := range append(Engines, "pebble-bulk") {
		for _, sync := range []string{"always", "never"} {
			t.Run(engine+"/"+sync, func(t *testing.T) {
				dir := t.TempDir()
				for round := 0; round < 3; round++ {
					acked := runCrashChild(t, engine, sync, dir, 3+r.Intn(25), time.Duration(r.Intn(3000))*time.Microsecond)
					n := checkGeneration(t, engine, dir)
					t.Logf("round %d: acknowledged %d, reopened at %d", round, acked, n)
					if n > acked+1 {
						t.Fatalf("round %d: store at generation %d, beyond the commit in flight (%d acknowledged)", round, n, acked)
					}
					if sync == "always" && n < acked {
						t.Fatalf("round %d: store at generation %d lost acknowledged commit %d (db_sync always)", round, n, acked)
					}
				}
			})
		}
	}
}

// runCrashChild starts the child, lets it acknowledge commits commits,
// waits delay more and kills it; it returns the last acknowledged
// generation.
func runCrashChild(t *testing.T, engine, sync, dir string, commits int, delay time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+engine+","+sync+","+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked, seen := -1, 0
	sc := bufio.NewScanner(out)
	for seen < commits && sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
			acked, _ = strconv.Atoi(n)
			seen++
		}
	}
	time.Sleep(delay)
	_ = cmd.Process.Kill()
	for sc.Scan() { // acknowledgements written before the kill
		if n, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
			acked, _ = strconv.Atoi(n)
		}
	}
	_ = cmd.Wait()
	if seen < commits {
		t.Fatalf("child died after %d commits", seen)
	}
	return acked
}

// checkGeneration reopens the store and checks it holds one whole
// generation; it returns it.
func checkGeneration(t *testing.T, engine, dir string) int {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{Engine: strings.TrimSuffix(engine, "-bulk"), Sync: SyncNever, CacheMB: 16})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	m := dump(t, s)
	n, err := strconv.Atoi(m["n"])
	if err != nil {
		t.Fatalf("generation record %q: %v", m["n"], err)
	}
	count := 0
	for k, v := range m {
		if !strings.HasPrefix(k, "k/") {
			continue
		}
		count++
		if !strings.HasPrefix(k, fmt.Sprintf("k/%d/", n)) || !strings.HasPrefix(v, fmt.Sprintf("%d:", n)) {
			t.Fatalf("generation %d store holds %s=%.20s: a torn commit", n, k, v)
		}
	}
	if count != crashKeys {
		t.Fatalf("generation %d store holds %d keys, want %d: a torn commit", n, count, crashKeys)
	}
	return n
}

// TestCrashChild is the child of TestKillMidCommit; without its
// environment variable it does nothing.
func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashChildEnv)
	if spec == "" {
		return
	}
	parts := strings.Split(spec, ",")
	sync := SyncNever
	if parts[1] == "always" {
		sync = SyncAlways
	}
	ctx := context.Background()
	bulk := parts[0] == "pebble-bulk"
	var s Store
	var err error
	if bulk {
		s, err = OpenPebble(Path(parts[2], EnginePebble), PebbleOptions{Sync: sync, CacheMB: 16, BulkMinBytes: 1})
	} else {
		s, err = Open(ctx, parts[2], Options{Engine: parts[0], Sync: sync, CacheMB: 16})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n := 0
	if err := s.View(ctx, func(tx Tx) error {
		v, err := tx.Get([]byte("n"))
		if err == nil {
			n, err = strconv.Atoi(string(v))
		} else if err == ErrNotFound {
			err = nil
		}
		return err
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	val := strings.Repeat("v", 400)
	for gen := n + 1; ; gen++ {
		if bulk {
			if err := crashBulkGeneration(ctx, s.(BulkLoader), gen, val); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			fmt.Printf("ok %d\n", gen)
			continue
		}
		err := s.Update(ctx, func(tx RWTx) error {
			for j := 0; j < crashKeys; j++ {
				if gen > 1 {
					if err := tx.Delete(fmt.Appendf(nil, "k/%d/%03d", gen-1, j)); err != nil {
						return err
					}
				}
				if err := tx.Set(fmt.Appendf(nil, "k/%d/%03d", gen, j), fmt.Appendf(nil, "%d:%s", gen, val)); err != nil {
					return err
				}
			}
			return tx.Set([]byte("n"), []byte(strconv.Itoa(gen)))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("ok %d\n", gen)
	}
}

// crashBulkGeneration is TestCrashChild's commit of generation gen as a
// bulk load: the same writes, in key order.
func crashBulkGeneration(ctx context.Context, l BulkLoader, gen int, val string) error {
	var ops []bulkOp
	for j := 0; j < crashKeys; j++ {
		if gen > 1 {
			ops = append(ops, bulkOp{key: fmt.Sprintf("k/%d/%03d", gen-1, j)})
		}
		ops = append(ops, bulkOp{fmt.Sprintf("k/%d/%03d", gen, j), fmt.Sprintf("%d:%s", gen, val)})
	}
	ops = append(ops, bulkOp{"n", strconv.Itoa(gen)})
	slices.SortFunc(ops, func(a, b bulkOp) int { return strings.Compare(a.key, b.key) })
	return l.BulkLoad(ctx, 1<<30, func(w Writer) error { return writeOps(w, ops) })
}
