// Package procstat reads a process's memory use from /proc (Linux) and the
// size of a directory tree on disk: the figures amber-bench reports beside
// its timings.
package procstat

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mem is a process's resident memory in bytes: RSS now and its peak
// (VmHWM, the high-water mark since the process started).
type Mem struct {
	RSS  int64 `json:"rss_bytes"`
	Peak int64 `json:"peak_rss_bytes"`
}

// ErrUnsupported is returned where /proc/<pid>/status does not exist.
var ErrUnsupported = errors.New("procstat: /proc/<pid>/status not available")

// Read returns pid's memory from /proc/<pid>/status.
func Read(pid int) (Mem, error) {
	fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat("/proc/self/status"); serr != nil {
			return Mem{}, ErrUnsupported
		}
	}
	if err != nil {
		return Mem{}, fmt.Errorf("procstat: pid %d: %w", pid, err)
	}
	defer fh.Close()
	return parseStatus(bufio.NewScanner(fh))
}

// parseStatus picks VmRSS and VmHWM (in kB) out of a status file.
func parseStatus(sc *bufio.Scanner) (Mem, error) {
	var m Mem
	var seen int
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return Mem{}, fmt.Errorf("procstat: bad %s line %q", key, sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return Mem{}, fmt.Errorf("procstat: bad %s value %q", key, f[0])
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return Mem{}, fmt.Errorf("procstat: %w", err)
	}
	if seen != 2 {
		return Mem{}, errors.New("procstat: VmRSS or VmHWM missing (kernel thread or exited process?)")
	}
	return m, nil
}

// DirSize is the total size in bytes of the regular files under dir.
func DirSize(dir string) (int64, error) {
	return FilesSize(dir, nil)
}

// FilesSize is the total size in bytes of the regular files under dir
// for which keep (nil: every file) returns true.
func FilesSize(dir string, keep func(path string) bool) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && (keep == nil || keep(path)) {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("procstat: size of %s: %w", dir, err)
	}
	return n, nil
}
