package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// origin tells the parser how lenient to be with a raw value.
type origin int

const (
	fromFile      origin = iota // typed values from YAML/TOML
	fromText                    // AMBER_ environment variables and flags
	fromElectrumX               // ElectrumX environment variable semantics
)

var errNotScalar = errors.New("want a single value, not a list or mapping")

// normalize parses a raw value for def into its canonical Go type: string,
// int, bool, time.Duration, []string, map[string]any.
func (d *keyDef) normalize(v any, o origin) (any, error) {
	switch d.kind {
	case kindString:
		return scalarString(v)
	case kindInt:
		return parseInt(v)
	case kindBool:
		if o == fromElectrumX {
			s, _ := v.(string)
			return strings.TrimSpace(s) != "", nil
		}
		return parseBool(v)
	case kindDuration:
		return parseDuration(v, d.unit)
	case kindList:
		return parseList(v)
	case kindEnum:
		return d.parseEnum(v, o)
	case kindRegex:
		s, err := scalarString(v)
		if err != nil {
			return nil, err
		}
		if _, err := regexp.Compile(s); err != nil {
			return nil, fmt.Errorf("invalid regular expression: %w", err)
		}
		return s, nil
	case kindStrings:
		return parseStrings(v)
	case kindStringMap:
		return parseStringMap(v)
	case kindAny:
		return parseAnyMap(v)
	}
	return nil, fmt.Errorf("internal: unknown kind %d", d.kind)
}

func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, uint64, float64:
		return fmt.Sprint(x), nil
	case bool:
		return "", fmt.Errorf("want a string, got boolean %v", x)
	}
	return "", errNotScalar
}

func parseInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		if x < math.MinInt || x > math.MaxInt {
			return 0, fmt.Errorf("integer %d out of range", x)
		}
		return int(x), nil
	case uint64:
		if x > math.MaxInt {
			return 0, fmt.Errorf("integer %d out of range", x)
		}
		return int(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("invalid integer %v", x)
		}
		return int(x), nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Errorf("invalid integer %q", x)
		}
		return n, nil
	case bool:
		return 0, fmt.Errorf("want an integer, got boolean %v", x)
	}
	return 0, errNotScalar
}

func parseBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "on", "yes":
			return true, nil
		case "false", "0", "off", "no":
			return false, nil
		}
	default:
		return false, errNotScalar
	}
	return false, fmt.Errorf("invalid boolean %v (want true/false, 1/0, on/off)", v)
}

// parseDuration accepts a Go duration string or a bare non-negative number in
// unit (ElectrumX gives REQUEST_SLEEP in ms and the other periods in seconds).
func parseDuration(v any, unit time.Duration) (time.Duration, error) {
	var f float64
	switch x := v.(type) {
	case time.Duration:
		if x < 0 {
			return 0, fmt.Errorf("negative duration %v", x)
		}
		return x, nil
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	case string:
		s := strings.TrimSpace(x)
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 1m, or a number of %s)", x, unitName(unit))
			}
			if d < 0 {
				return 0, fmt.Errorf("negative duration %q", x)
			}
			return d, nil
		}
		f = n
	case bool:
		return 0, fmt.Errorf("want a duration, got boolean %v", x)
	default:
		return 0, errNotScalar
	}
	if math.IsNaN(f) || f < 0 || f*float64(unit) > math.MaxInt64 {
		return 0, fmt.Errorf("invalid duration %v", v)
	}
	return time.Duration(f * float64(unit)), nil
}

func unitName(unit time.Duration) string {
	if unit == time.Millisecond {
		return "milliseconds"
	}
	return "seconds"
}

// parseList joins a list of strings with commas; a string is kept as is.
func parseList(v any) (string, error) {
	if l, ok := v.([]any); ok {
		parts, err := parseStrings(l)
		if err != nil {
			return "", err
		}
		return strings.Join(parts, ","), nil
	}
	return scalarString(v)
}

// parseStrings accepts a list of scalars, a JSON array string, or a
// comma-separated string.
func parseStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, err := scalarString(e)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out = append(out, s)
		}
		return out, nil
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") {
			var out []string
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, fmt.Errorf("invalid JSON list of strings: %w", err)
			}
			return out, nil
		}
		return splitList(s), nil
	}
	return nil, fmt.Errorf("want a list of strings, got %T", v)
}

// splitList splits a comma-separated list, trimming items and dropping
// empty ones.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func parseStringMap(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping of names to strings, got %T", v)
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		s, err := scalarString(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// parseAnyMap accepts a mapping, or a JSON object given as a string.
func parseAnyMap(v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case string:
		var m map[string]any
		if err := json.Unmarshal([]byte(x), &m); err != nil {
			return nil, fmt.Errorf("want a mapping or a JSON object: %w", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("want a mapping, got %T", v)
}

func (d *keyDef) parseEnum(v any, o origin) (string, error) {
	var s string
	if b, ok := v.(bool); ok && d.aliases != nil {
		s = strconv.FormatBool(b)
	} else {
		var err error
		if s, err = scalarString(v); err != nil {
			return "", err
		}
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if o == fromElectrumX && d.name == "peer_discovery" {
		// ElectrumX: "off" or empty is off, "self" is self, anything else on.
		switch s {
		case "", "off":
			return "off", nil
		case "self":
			return "self", nil
		}
		return "on", nil
	}
	if o == fromElectrumX && d.name == "db_engine" && electrumxEngines[s] {
		return "pebble", nil
	}
	if a, ok := d.aliases[s]; ok {
		s = a
	}
	if !slices.Contains(d.enum, s) {
		return "", fmt.Errorf("invalid value %q (want one of %s)", s, strings.Join(d.enum, ", "))
	}
	return s, nil
}
