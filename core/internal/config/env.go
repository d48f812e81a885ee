package config

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// parseEnviron turns os.Environ() entries into a map (later entries win).
func parseEnviron(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// electrumxLayer reads the ElectrumX variable names. Other variables (PATH,
// HOME, ...) are not looked at.
func electrumxLayer(env map[string]string, log *slog.Logger) (layer, error) {
	for _, name := range sortedKeys(obsoleteVars) {
		if _, ok := env[name]; ok {
			return nil, &KeyError{Key: name, Source: "env " + name,
				Err: fmt.Errorf("%w: %s", ErrObsolete, obsoleteVars[name])}
		}
	}
	for _, name := range sortedKeys(ignoredElectrumXVars) {
		if _, ok := env[name]; ok {
			log.Warn("ignoring ElectrumX environment variable", "name", name, "reason", ignoredElectrumXVars[name])
		}
	}
	if v, ok := env["DB_ENGINE"]; ok && electrumxEngines[strings.ToLower(strings.TrimSpace(v))] {
		log.Info("DB_ENGINE names an ElectrumX engine; Amber uses pebble, its LSM-tree engine", "DB_ENGINE", v)
	}
	ly := layer{}
	for _, d := range keyDefs {
		if d.exName == "" {
			continue
		}
		if v, ok := env[d.exName]; ok {
			ly[d.name] = rawValue{v: v, source: "env " + d.exName, origin: fromElectrumX}
		}
	}
	return ly, nil
}

// electrumxEngines are ElectrumX's DB_ENGINE values; both select pebble.
var electrumxEngines = map[string]bool{"leveldb": true, "rocksdb": true}

// amberEnvLayer reads AMBER_<KEY> variables; "__" separates nesting levels.
// Unknown AMBER_ variables are an error. Names inside a plugin's env map keep
// their case; everything else is lower-cased.
func amberEnvLayer(env map[string]string) (layer, error) {
	ly := layer{}
	for _, name := range sortedKeys(env) {
		rest, ok := strings.CutPrefix(name, envPrefix)
		if !ok || rest == "CONFIG" {
			continue
		}
		parts := strings.Split(rest, envNest)
		for i, p := range parts {
			if i == 3 && strings.EqualFold(parts[2], pluginEnv) {
				continue
			}
			parts[i] = strings.ToLower(p)
		}
		key := strings.Join(parts, keyDelim)
		if slices.Contains(parts, "") {
			return nil, &KeyError{Key: name, Source: "env " + name, Err: ErrUnknownKey}
		}
		d, err := lookupDef(key)
		if err != nil {
			return nil, &KeyError{Key: key, Source: "env " + name, Err: err}
		}
		if d == nil && len(parts) <= 2 {
			return nil, &KeyError{Key: key, Source: "env " + name, Err: ErrUnknownKey}
		}
		ly[key] = rawValue{v: env[name], source: "env " + name, origin: fromText}
	}
	return ly, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
