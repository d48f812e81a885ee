package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// levelTrace is hclog's Trace level in slog terms.
const levelTrace = slog.LevelDebug - 4

// maxLogLine bounds one plugin stderr line kept in memory.
const maxLogLine = 64 << 10

// hclogAdapter is the hclog.Logger go-plugin logs its own messages through;
// it forwards them to slog. GetLevel reports Off so that go-plugin does not
// parse the plugin's stderr itself: stderrLog does that (go-plugin's parser
// panics on some malformed JSON lines).
type hclogAdapter struct {
	l       *slog.Logger
	name    string
	implied []any
}

var _ hclog.Logger = (*hclogAdapter)(nil)

func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return levelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (h *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	lvl := slogLevel(level)
	if !h.l.Enabled(context.Background(), lvl) {
		return
	}
	attrs := append(append([]any(nil), h.implied...), args...)
	if h.name != "" {
		attrs = append(attrs, "logger", h.name)
	}
	h.l.Log(context.Background(), lvl, msg, attrs...)
}

func (h *hclogAdapter) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogAdapter) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogAdapter) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogAdapter) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogAdapter) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hclogAdapter) enabled(l hclog.Level) bool {
	return h.l.Enabled(context.Background(), slogLevel(l))
}

func (h *hclogAdapter) IsTrace() bool        { return h.enabled(hclog.Trace) }
func (h *hclogAdapter) IsDebug() bool        { return h.enabled(hclog.Debug) }
func (h *hclogAdapter) IsInfo() bool         { return h.enabled(hclog.Info) }
func (h *hclogAdapter) IsWarn() bool         { return h.enabled(hclog.Warn) }
func (h *hclogAdapter) IsError() bool        { return h.enabled(hclog.Error) }
func (h *hclogAdapter) ImpliedArgs() []any   { return h.implied }
func (h *hclogAdapter) Name() string         { return h.name }
func (h *hclogAdapter) SetLevel(hclog.Level) {}
func (h *hclogAdapter) GetLevel() hclog.Level {
	return hclog.Off
}

func (h *hclogAdapter) With(args ...any) hclog.Logger {
	c := *h
	c.implied = append(append([]any(nil), h.implied...), args...)
	return &c
}

func (h *hclogAdapter) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (h *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

func (h *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

func (h *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &lineWriter{emit: func(line string) { h.Info(line) }}
}

// lineWriter splits what is written to it into lines and calls emit for
// each complete line (without the newline), truncating lines longer than
// maxLogLine. It is safe for concurrent use.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.add(p)
			break
		}
		w.add(p[:i])
		line := strings.TrimRight(string(w.buf), "\r")
		w.buf = w.buf[:0]
		w.emit(line)
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) add(p []byte) {
	if room := maxLogLine - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(len(p), room)]...)
	}
}

// tail keeps the last few lines of plugin stderr for start-up errors.
type tail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(line) > 512 {
		line = line[:512] + "..."
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}

// stderrLog re-emits plugin stderr lines through slog: hclog JSON lines
// keep their level, message and fields; "[LEVEL] text" lines get that level;
// other lines are Info, or Error from a Go panic on.
type stderrLog struct {
	l       *slog.Logger
	inPanic bool // only touched from lineWriter.emit, under its lock
}

func (s *stderrLog) line(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	lvl, msg, attrs := parseLogLine(line)
	if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
		s.inPanic = true
	}
	if s.inPanic {
		lvl = slog.LevelError
	}
	s.l.Log(context.Background(), lvl, msg, attrs...)
}

// parseLogLine decodes one plugin stderr line.
func parseLogLine(line string) (slog.Level, string, []any) {
	if strings.HasPrefix(line, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			return parseJSONLine(m, line)
		}
	}
	for _, p := range []struct {
		prefix string
		level  slog.Level
	}{{"[TRACE]", levelTrace}, {"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo},
		{"[WARN]", slog.LevelWarn}, {"[ERROR]", slog.LevelError}} {
		if rest, ok := strings.CutPrefix(line, p.prefix); ok {
			return p.level, strings.TrimSpace(rest), nil
		}
	}
	return slog.LevelInfo, line, nil
}

func parseJSONLine(m map[string]any, line string) (slog.Level, string, []any) {
	msg, ok := m["@message"].(string)
	if !ok {
		return slog.LevelInfo, line, nil
	}
	lvl := slog.LevelInfo
	if s, ok := m["@level"].(string); ok {
		lvl = slogLevel(hclog.LevelFromString(s))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		switch k {
		case "@message", "@level", "@timestamp", "@caller":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(strings.TrimPrefix(k, "@"), m[k]))
	}
	return lvl, msg, attrs
}
