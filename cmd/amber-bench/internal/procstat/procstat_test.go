package procstat

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name, in string
		want     Mem
		wantErr  bool
	}{
		{"both", "Name:\tamberd\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t9\n", Mem{RSS: 1 << 20, Peak: 2 << 20}, false},
		{"missing", "Name:\tkthreadd\nThreads:\t1\n", Mem{}, true},
		{"bad unit", "VmHWM:\t2 MB\nVmRSS:\t1 kB\n", Mem{}, true},
		{"negative", "VmHWM:\t-2 kB\nVmRSS:\t1 kB\n", Mem{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(bufio.NewScanner(strings.NewReader(tt.in)))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatus = %+v, %v; want %+v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReadSelf(t *testing.T) {
	m, err := Read(os.Getpid())
	if err == ErrUnsupported {
		t.Skip("no /proc here")
	}
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("Read(self) = %+v, want 0 < RSS <= Peak", m)
	}
}

func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 23), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := DirSize(dir); err != nil || n != 123 {
		t.Errorf("DirSize = %d, %v; want 123", n, err)
	}
	if _, err := DirSize(filepath.Join(dir, "missing")); err == nil {
		t.Error("DirSize(missing) = nil error")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add("VmHWM:\t2048 kB\nVmRSS:\t1024 kB\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseStatus(bufio.NewScanner(strings.NewReader(s)))
		if err == nil && (m.RSS < 0 || m.Peak < 0) {
			t.Fatalf("negative memory %+v", m)
		}
	})
}
