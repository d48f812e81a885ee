package store

import (
	"errors"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// faultFS reports the first disk write error (no space, file too large,
// quota, read-only, I/O error) that pebble meets, in a write-ahead log
// block, a flush or a compaction, to fail. Pebble retries background
// writes forever and panics on a failed log write; the store instead stops
// committing at the first such error and says why.
type faultFS struct {
	vfs.FS
	fail func(error)
}

// diskError tells whether err means the disk cannot take more writes.
func diskError(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EFBIG, syscall.EDQUOT, syscall.EROFS, syscall.EIO} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (f *faultFS) check(err error) error {
	if err != nil && diskError(err) {
		f.fail(err)
	}
	return err
}

func (f *faultFS) wrap(file vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, f.check(err)
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return f.wrap(f.FS.Create(name, c))
}

func (f *faultFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return f.wrap(f.FS.OpenReadWrite(name, c, opts...))
}

func (f *faultFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return f.wrap(f.FS.ReuseForWrite(oldname, newname, c))
}

func (f *faultFS) Rename(oldname, newname string) error {
	return f.check(f.FS.Rename(oldname, newname))
}

func (f *faultFS) Link(oldname, newname string) error {
	return f.check(f.FS.Link(oldname, newname))
}

// Unwrap lets pebble reach the underlying file system.
func (f *faultFS) Unwrap() vfs.FS { return f.FS }

// faultFile reports the disk write errors of one file.
type faultFile struct {
	vfs.File
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.fs.check(err)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	return n, f.fs.check(err)
}

func (f *faultFile) Sync() error { return f.fs.check(f.File.Sync()) }

func (f *faultFile) SyncData() error { return f.fs.check(f.File.SyncData()) }

func (f *faultFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	return full, f.fs.check(err)
}
