package sdk

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// NewLogger returns the logger a plugin should use: JSON lines on stderr
// with hclog's key names (@level, @message, @timestamp), which amberd
// re-emits through its own log with their levels. Never log to stdout: it
// carries the go-plugin handshake.
func NewLogger() *slog.Logger { return newLogger(os.Stderr) }

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				a.Key = "@message"
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			}
			return a
		},
	}))
}
