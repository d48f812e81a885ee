package config

import (
	"reflect"
	"regexp"
	"strings"
	"time"
)

const mask = "***"

// secretName matches map keys whose values are treated as secrets.
var secretName = regexp.MustCompile(`(?i)pass|secret|token|auth|cookie|credential|private`)

// Redacted returns every key with its effective value, for logs and the
// admin getinfo: daemon URL credentials, plugin environment values and
// secret-looking plugin config entries are masked.
func (c *Config) Redacted() map[string]any {
	out := structMap(reflect.ValueOf(c).Elem())
	urls := make([]string, len(c.DaemonURLs))
	for i, u := range c.DaemonURLs {
		urls[i] = RedactURL(u)
	}
	out["daemon_url"] = strings.Join(urls, ",")
	plugins := map[string]any{}
	for name, p := range c.Plugins {
		m := structMap(reflect.ValueOf(p).Elem())
		env := map[string]any{}
		for k := range p.Env {
			env[k] = mask
		}
		m[pluginEnv] = env
		m[pluginConfig] = redactAny(p.Config)
		plugins[name] = m
	}
	out["plugins"] = plugins
	return out
}

// RedactURL masks the credentials of a daemon URL: everything before the
// last "@" after the scheme becomes "***".
func RedactURL(u string) string {
	at := strings.LastIndexByte(u, '@')
	if at < 0 {
		return u
	}
	scheme := ""
	if i := strings.Index(u[:at], "://"); i >= 0 {
		scheme = u[:i+3]
	}
	return scheme + mask + u[at:]
}

// structMap maps the koanf-tagged fields of a struct to their values
// (durations as strings, nested structs skipped).
func structMap(v reflect.Value) map[string]any {
	out := map[string]any{}
	for i := range v.NumField() {
		tag := v.Type().Field(i).Tag.Get("koanf")
		if tag == "" || tag == "-" {
			continue
		}
		f := v.Field(i)
		switch x := f.Interface().(type) {
		case time.Duration:
			out[tag] = x.String()
		default:
			if f.Kind() == reflect.Map && f.Type().Elem().Kind() == reflect.Pointer {
				continue // plugins: handled by the caller
			}
			out[tag] = x
		}
	}
	return out
}

func redactAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if secretName.MatchString(k) {
				out[k] = mask
			} else {
				out[k] = redactAny(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactAny(e)
		}
		return out
	case string:
		if strings.Contains(x, "://") {
			return RedactURL(x)
		}
	}
	return v
}
