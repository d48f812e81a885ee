package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// buntdb's own loader (v1.3.0, DB.load) only truncates a partly written
// *record* at the end of the file; complete records of a partly written
// commit would be loaded, breaking atomicity. recoverAOF therefore walks the
// file in commit groups (see markerKey) and truncates it to the end of the
// last complete group. It returns the resulting file size.
func recoverAOF(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	good, err := scanGroups(f)
	if err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if good < fi.Size() {
		if err := f.Truncate(good); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
	}
	return good, nil
}

// scanGroups returns the offset just past the last complete commit group.
// A torn tail (short record, or a group missing records) ends the scan; a
// malformed record before the tail is reported as corruption.
func scanGroups(rd io.Reader) (int64, error) {
	r := bufio.NewReader(rd)
	var pos, good int64
	records, want := 0, -1
	for {
		key, val, n, err := readRecord(r)
		if err == io.EOF && n == 0 {
			return good, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return good, nil // torn last record
		}
		if err != nil {
			return 0, fmt.Errorf("offset %d: %w", pos, err)
		}
		pos += n
		if key == "" { // nul padding
			if records == 0 {
				good = pos
			}
			continue
		}
		records++
		if key == markerKey {
			c, err := strconv.Atoi(val)
			if err != nil || c < 1 {
				return 0, fmt.Errorf("offset %d: bad commit marker %q", pos, val)
			}
			want = c
		}
		if want > 0 && records >= want {
			good = pos
			records, want = 0, -1
		}
	}
}

var errBadRecord = errors.New("malformed AOF record")

// readRecord reads one RESP array command (SET key val / DEL key) and returns
// its key, value (SET only) and size in bytes. A single nul byte is returned
// as an empty key of size 1.
func readRecord(r *bufio.Reader) (key, val string, n int64, err error) {
	c, err := r.ReadByte()
	if err != nil {
		return "", "", 0, err
	}
	if c == 0 {
		return "", "", 1, nil
	}
	if err := r.UnreadByte(); err != nil {
		return "", "", 0, err
	}
	count, ln, err := readLen(r, '*')
	n += ln
	if err != nil {
		return "", "", n, err
	}
	parts := make([]string, 0, count)
	for i := 0; i < count; i++ {
		size, ln, err := readLen(r, '$')
		n += ln
		if err != nil {
			return "", "", n, err
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", "", n, err
		}
		n += int64(size + 2)
		if buf[size] != '\r' || buf[size+1] != '\n' {
			return "", "", n, errBadRecord
		}
		parts = append(parts, string(buf[:size]))
	}
	if len(parts) < 2 {
		return "", "", n, errBadRecord
	}
	if len(parts) >= 3 {
		val = parts[2]
	}
	return parts[1], val, n, nil
}

func readLen(r *bufio.Reader, lead byte) (int, int64, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, int64(len(line)), err
	}
	if len(line) < 4 || line[0] != lead || line[len(line)-2] != '\r' {
		return 0, int64(len(line)), errBadRecord
	}
	v, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil || v < 0 || v > 1<<30 {
		return 0, int64(len(line)), errBadRecord
	}
	return v, int64(len(line)), nil
}
