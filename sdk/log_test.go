package sdk

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestLoggerWritesHclogKeys(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf).Warn("daemon slow", "url", "127.0.0.1:8332")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	if line["@level"] != "warn" || line["@message"] != "daemon slow" || line["url"] != "127.0.0.1:8332" || line["@timestamp"] == nil {
		t.Errorf("line %v", line)
	}
	if _, ok := line["msg"]; ok {
		t.Errorf("slog's own keys leaked: %v", line)
	}
}
