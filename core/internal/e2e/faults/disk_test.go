package faults

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// diskChain builds the chain the disk tests index: big enough that its
// database does not fit the limits below.
func diskChain(t *testing.T) (*regtest.Node, *harness.Model) {
	t.Helper()
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, newWallet(101), regtest.Spec{Blocks: size(150, 200, 300), TxPerBlock: 8, Scripts: 40, MempoolTxs: 3})
	return node, buildModel(t, node)
}

// waitFailure waits until amberd's log contains every string of want, or
// amberd exits; it returns the log.
func waitFailure(t *testing.T, a *harness.Amberd, want ...string) string {
	t.Helper()
	ctx := timeout(t, 2*time.Minute)
	for {
		logs := a.Logs()
		found := true
		for _, w := range want {
			found = found && strings.Contains(logs, w)
		}
		if found {
			return logs
		}
		if strings.Contains(logs, "index synced") {
			t.Fatalf("amberd indexed the whole chain without hitting the limit; the test proves nothing (log lacks %q)", want)
		}
		select {
		case <-a.Done():
			return a.Logs()
		case <-ctx.Done():
			t.Fatalf("amberd neither exited nor logged %q", want)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// wantStopped checks that after a storage failure amberd either exited
// with a non-zero status or reports itself halted (not following) in
// getinfo, and never opened its Electrum service on a partial index.
func wantStopped(t *testing.T, a *harness.Amberd, m *harness.Model) {
	t.Helper()
	ctx := timeout(t, 30*time.Second)
	select {
	case <-a.Done():
		if a.ExitErr() == nil {
			t.Errorf("amberd exited with status 0 after a storage failure")
		} else {
			t.Logf("amberd exited: %v", a.ExitErr())
		}
		return
	case <-time.After(5 * time.Second):
	}
	gi, err := getinfo(ctx, a.RPCAddr())
	if err != nil {
		t.Errorf("amberd neither exited nor answers getinfo after a storage failure: %v", err)
		return
	}
	if c, err := harness.DialContext(ctx, a.TCPAddr()); err == nil {
		c.Close()
		if gi.DBHeight != m.Tip() {
			t.Errorf("amberd opened its Electrum service on a partial index (db height %d of %d)", gi.DBHeight, m.Tip())
		}
	}
	if !gi.Amber.Sync.Halted {
		t.Errorf("amberd keeps running after its index died on a storage failure, but neither exits nor "+
			"reports amber.sync.halted (sync %+v)", gi.Amber.Sync)
	}
}

// recoverAndCheck restarts amberd on the same database once the condition
// is gone and checks every answer against the model.
func recoverAndCheck(t *testing.T, a *harness.Amberd, m *harness.Model) {
	t.Helper()
	if err := a.Restart(timeout(t, 3*time.Minute), true); err != nil {
		t.Fatalf("restart after the storage failure: %v\n%s", err, a.Logs())
	}
	clients := dialN(t, a.TCPAddr(), 2)
	mustCatchUp(t, clients[0], m, 2*time.Minute)
	checkAll(t, clients, m, nil)
}

// TestUnwritableDBDir starts amberd with a DB_DIRECTORY below a regular
// file (uncreatable whoever runs the test, root included): amberd must exit
// with a non-zero status and a log line naming the directory. With the
// file replaced by a directory, the same configuration must index the
// chain and answer as the model.
func TestUnwritableDBDir(t *testing.T) { forEngines(t, testUnwritableDBDir) }

func testUnwritableDBDir(t *testing.T, engine string) {
	node, m := diskChain(t)
	parent := filepath.Join(t.TempDir(), "notadir")
	if err := os.WriteFile(parent, []byte("a file, not a directory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dbDir := filepath.Join(parent, "db")
	a := harness.StartAmberd(t, harness.AmberdOptions{Engine: engine, DaemonURL: node.URL(), DBDir: dbDir})
	select {
	case <-a.Done():
	case <-timeout(t, time.Minute).Done():
		t.Fatalf("amberd still running with DB_DIRECTORY %s under a regular file", dbDir)
	}
	logs := a.Logs()
	if a.ExitErr() == nil {
		t.Errorf("amberd exited with status 0")
	}
	if !strings.Contains(logs, dbDir) || !strings.Contains(logs, "not a directory") {
		t.Errorf("amberd's output does not name %s and the cause (not a directory):\n%s", dbDir, logs)
	}
	if err := os.Remove(parent); err != nil {
		t.Fatal(err)
	}
	recoverAndCheck(t, a, m)
}

// TestDiskFullFsize runs amberd with RLIMIT_FSIZE below its database's
// size, so that a write during the initial sync fails with EFBIG as on a
// full disk: amberd must log the error naming its database file, then exit
// or halt without serving a partial index. Restarted without the limit on
// the same directory, it must finish the sync and answer as the model (no
// corrupted index).
func TestDiskFullFsize(t *testing.T) { forEngines(t, testDiskFullFsize) }

func testDiskFullFsize(t *testing.T, engine string) {
	node, m := diskChain(t)
	dbDir := filepath.Join(t.TempDir(), "db")
	const limit = 96 << 10
	a := startLimited(t, harness.AmberdOptions{Engine: engine, DaemonURL: node.URL(), DBDir: dbDir}, limit)
	dbFile := a.DBPath()
	logs := waitFailure(t, a, "file too large")
	if !strings.Contains(logs, "file too large") || !strings.Contains(logs, dbFile) {
		t.Errorf("amberd's output does not name %s and the cause (file too large)", dbFile)
	}
	if fi, err := os.Stat(dbFile); err == nil {
		t.Logf("database %d bytes at the failure (limit %d)", fi.Size(), limit)
	}
	wantStopped(t, a, m)
	a.Stop()
	recoverAndCheck(t, a, m)
}

// startLimited starts amberd with RLIMIT_FSIZE lowered to limit: the
// limit is set on the test process for the moment of the fork, which
// amberd inherits, and restored at once.
func startLimited(t *testing.T, opts harness.AmberdOptions, limit uint64) *harness.Amberd {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatalf("restore RLIMIT_FSIZE: %v", err)
		}
	}()
	return harness.StartAmberd(t, opts)
}

// TestDiskFullTmpfs indexes into a 96 KiB tmpfs (root only: it needs
// mount), so that a write fails with ENOSPC: amberd must log the error
// naming its database file and exit or halt without serving a partial
// index. After the tmpfs is grown, a restart on the same directory must
// finish the sync and answer as the model.
func TestDiskFullTmpfs(t *testing.T) { forEngines(t, testDiskFullTmpfs) }

func testDiskFullTmpfs(t *testing.T, engine string) {
	dir := t.TempDir()
	if err := mount(dir, "size=96k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestDiskFullFsize covers a full disk without mount", err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	node, m := diskChain(t)
	dbDir := filepath.Join(dir, "db")
	a := harness.StartAmberd(t, harness.AmberdOptions{Engine: engine, DaemonURL: node.URL(), DBDir: dbDir})
	dbFile := a.DBPath()
	logs := waitFailure(t, a, "no space left on device")
	if !strings.Contains(logs, "no space left on device") || !strings.Contains(logs, dbFile) {
		t.Errorf("amberd's output does not name %s and the cause (no space left on device)", dbFile)
	}
	wantStopped(t, a, m)
	a.Stop()
	if err := mount(dir, "remount,size=64m"); err != nil {
		t.Fatal(err)
	}
	recoverAndCheck(t, a, m)
}

// mount mounts (or remounts) a tmpfs on dir with options.
func mount(dir, opts string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput()
	if err != nil {
		return errors.Join(err, errors.New(strings.TrimSpace(string(out))))
	}
	return nil
}
