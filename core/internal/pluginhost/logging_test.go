package pluginhost

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseLogLine(t *testing.T) {
	tests := []struct {
		line      string
		wantLevel slog.Level
		wantMsg   string
		wantAttrs []any
	}{
		{`{"@level":"warn","@message":"daemon slow","@timestamp":"2026-01-01T00:00:00.000000Z","@module":"bitcoind","ms":1500}`,
			slog.LevelWarn, "daemon slow", []any{slog.Any("module", "bitcoind"), slog.Any("ms", float64(1500))}},
		{`{"@level":"trace","@message":"x"}`, levelTrace, "x", []any{}},
		{`{"@level":"error","@message":"boom","@caller":"main.go:1"}`, slog.LevelError, "boom", []any{}},
		{`{"@level":"nonsense","@message":"m"}`, slog.LevelInfo, "m", []any{}},
		{`{"@message": 5}`, slog.LevelInfo, `{"@message": 5}`, nil},
		{`{not json`, slog.LevelInfo, `{not json`, nil},
		{"[DEBUG] connecting", slog.LevelDebug, "connecting", nil},
		{"[ERROR] failed", slog.LevelError, "failed", nil},
		{"plain text", slog.LevelInfo, "plain text", nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			lvl, msg, attrs := parseLogLine(tt.line)
			if lvl != tt.wantLevel || msg != tt.wantMsg || !reflect.DeepEqual(attrs, tt.wantAttrs) {
				t.Errorf("got %v %q %v, want %v %q %v", lvl, msg, attrs, tt.wantLevel, tt.wantMsg, tt.wantAttrs)
			}
		})
	}
}

func TestStderrLogPanicIsError(t *testing.T) {
	rec := &records{}
	s := &stderrLog{l: slog.New(rec)}
	for _, l := range []string{"starting", "panic: runtime error", "goroutine 1 [running]:", ""} {
		s.line(l)
	}
	for msg, want := range map[string]slog.Level{"starting": slog.LevelInfo, "panic: runtime error": slog.LevelError, "goroutine 1": slog.LevelError} {
		if lvl, ok := rec.find(msg); !ok || lvl != want {
			t.Errorf("%q: found %v level %v, want %v", msg, ok, lvl, want)
		}
	}
	if len(rec.recs) != 3 {
		t.Errorf("%d records, want 3 (blank lines dropped)", len(rec.recs))
	}
}

func TestLineWriter(t *testing.T) {
	var got []string
	w := &lineWriter{emit: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"ab", "c\nde", "f\r\n\n", strings.Repeat("x", maxLogLine+10), "\n", "tail"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	want := []string{"abc", "def", "", strings.Repeat("x", maxLogLine)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("line lengths %v, want %v", lengths(got), lengths(want))
	}
}

func lengths(ls []string) []int {
	out := make([]int, len(ls))
	for i, l := range ls {
		out[i] = len(l)
	}
	return out
}

// FuzzParseLogLine: no plugin stderr line may crash the host or yield
// attributes that are not key/value attrs.
func FuzzParseLogLine(f *testing.F) {
	for _, s := range []string{
		`{"@level":"info","@message":"hi","k":[1,{"a":null}]}`,
		`{"@message":null}`, `{"@level":7,"@message":"x"}`, "[WARN]", "{", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		lvl, msg, attrs := parseLogLine(line)
		if lvl < levelTrace || lvl > slog.LevelError {
			t.Fatalf("level %v out of range", lvl)
		}
		if utf8.ValidString(line) && !utf8.ValidString(msg) {
			t.Fatalf("invalid message %q", msg)
		}
		for _, a := range attrs {
			if _, ok := a.(slog.Attr); !ok {
				t.Fatalf("attr %#v is not a slog.Attr", a)
			}
		}
		s := &stderrLog{l: slog.New(slog.DiscardHandler)}
		s.line(line)
	})
}
