package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/afero"
)

// LoadOptions are Load's inputs. The zero value reads nothing but defaults
// (and then fails: db_directory and daemon_url are required).
type LoadOptions struct {
	// Fs is where the config file and banners are read; nil = the OS.
	Fs afero.Fs
	// Args are the command-line arguments without the program name.
	Args []string
	// Environ is the environment in os.Environ() form.
	Environ []string
	// Logger receives warnings (ignored ElectrumX variables); nil = discard.
	Logger *slog.Logger
}

// KeyError is a configuration error about one key.
type KeyError struct {
	Key    string // key path (plugins.bitcoind.path) or variable name
	Source string // "default", "file <path>", "env <NAME>" or "flag --<name>"
	Err    error
}

func (e *KeyError) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("config: %s: %v", e.Key, e.Err)
	}
	return fmt.Sprintf("config: %s (from %s): %v", e.Key, e.Source, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Sentinel errors wrapped by KeyError.
var (
	ErrUnknownKey = errors.New("unknown key")
	ErrObsolete   = errors.New("obsolete ElectrumX setting")
	ErrRequired   = errors.New("required")
)

// rawValue is one value as read from a source, before parsing.
type rawValue struct {
	v      any
	source string
	origin origin
}

// layer is one source's values keyed by flat key path.
type layer map[string]rawValue

// Load reads and validates the configuration.
func Load(ctx context.Context, opts LoadOptions) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fsys := opts.Fs
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	env := parseEnviron(opts.Environ)

	fl, err := parseFlags(opts.Args)
	if err != nil {
		return nil, err
	}

	l := &loader{k: koanf.New(keyDelim), sources: map[string]string{}}
	if err := l.apply(defaultLayer()); err != nil {
		return nil, err
	}

	file := env[envPrefix+"CONFIG"]
	if f := fl.Lookup(configFlag); f.Changed {
		file = f.Value.String()
	}
	if file != "" {
		fileLayer, err := readFile(fsys, file)
		if err != nil {
			return nil, err
		}
		if err := l.apply(fileLayer); err != nil {
			return nil, err
		}
	}

	exLayer, err := electrumxLayer(env, log)
	if err != nil {
		return nil, err
	}
	amberLayer, err := amberEnvLayer(env)
	if err != nil {
		return nil, err
	}
	flagLayer, err := flagsLayer(fl)
	if err != nil {
		return nil, err
	}
	for _, ly := range []layer{exLayer, amberLayer, flagLayer} {
		if err := l.apply(ly); err != nil {
			return nil, err
		}
	}

	cfg := &Config{fs: fsys, ConfigFile: file}
	if err := l.k.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := cfg.finish(l.sources); err != nil {
		return nil, err
	}
	return cfg, nil
}

// loader merges parsed layers into one koanf instance, remembering where each
// key's value came from.
type loader struct {
	k       *koanf.Koanf
	sources map[string]string
}

func (l *loader) apply(ly layer) error {
	flat := make(map[string]any, len(ly))
	for key, rv := range ly {
		if rv.v == nil { // YAML "key:" with no value: leave the key unset
			if _, err := lookupDef(key); err != nil {
				return &KeyError{Key: key, Source: rv.source, Err: err}
			}
			continue
		}
		v, err := normalizeKey(key, rv)
		if err != nil {
			return &KeyError{Key: key, Source: rv.source, Err: err}
		}
		flat[key] = v
	}
	if err := l.k.Load(confmap.Provider(flat, keyDelim), nil); err != nil {
		return fmt.Errorf("config: merge: %w", err)
	}
	for key, rv := range ly {
		l.sources[key] = rv.source
	}
	return nil
}

// lookupDef finds the definition of a flat key. Keys inside a plugin's env
// or config map have no definition of their own and return nil, nil.
func lookupDef(key string) (*keyDef, error) {
	if d, ok := keyIndex[key]; ok {
		return d, nil
	}
	parts := strings.Split(key, keyDelim)
	if parts[0] != "plugins" {
		return nil, ErrUnknownKey
	}
	if len(parts) == 1 || len(parts) == 2 {
		return nil, nil // "plugins: {}" or "plugins: {name: {}}"
	}
	if !validPluginName(parts[1]) {
		return nil, fmt.Errorf("invalid plugin name %q (want letters, digits, _ or -)", parts[1])
	}
	d, ok := pluginIndex[parts[2]]
	if !ok {
		return nil, ErrUnknownKey
	}
	if len(parts) > 3 {
		switch d.kind {
		case kindAny:
			return nil, nil
		case kindStringMap:
			if len(parts) == 4 {
				return nil, nil
			}
		}
		return nil, ErrUnknownKey
	}
	return d, nil
}

func validPluginName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func normalizeKey(key string, rv rawValue) (any, error) {
	d, err := lookupDef(key)
	if err != nil {
		return nil, err
	}
	if d == nil {
		// plugins, plugins.<name>, or inside a plugin env/config map.
		parts := strings.Split(key, keyDelim)
		if len(parts) <= 2 {
			if m, ok := rv.v.(map[string]any); ok && len(m) == 0 {
				return rv.v, nil
			}
			return nil, errors.New("want a mapping")
		}
		if parts[2] == pluginEnv {
			return scalarString(rv.v)
		}
		return rv.v, nil
	}
	return d.normalize(rv.v, rv.origin)
}

func defaultLayer() layer {
	ly := make(layer, len(keyDefs)+len(pluginDefs))
	for _, d := range keyDefs {
		ly[d.name] = rawValue{v: d.def, source: "default"}
	}
	for _, d := range pluginDefs {
		if d.def != nil {
			ly["plugins."+DaemonPlugin+"."+d.name] = rawValue{v: d.def, source: "default"}
		}
	}
	return ly
}

// readFile loads a YAML (.yaml, .yml) or TOML (.toml) file into a layer.
func readFile(fsys afero.Fs, name string) (layer, error) {
	var parser koanf.Parser
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		parser = yaml.Parser()
	case ".toml":
		parser = toml.Parser()
	default:
		return nil, fmt.Errorf("config: file %s: unknown format (want .yaml, .yml or .toml)", name)
	}
	b, err := afero.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseFile(b, parser, "file "+name)
}

func parseFile(b []byte, parser koanf.Parser, source string) (ly layer, err error) {
	defer func() {
		// Parsers can panic on pathological input; report it as an error.
		if r := recover(); r != nil {
			ly, err = nil, fmt.Errorf("config: %s: %v", source, r)
		}
	}()
	k := koanf.New(keyDelim)
	if err := k.Load(rawbytes.Provider(b), parser); err != nil {
		return nil, fmt.Errorf("config: %s: %w", source, err)
	}
	all := k.All()
	ly = make(layer, len(all))
	for key, v := range all {
		ly[key] = rawValue{v: v, source: source, origin: fromFile}
	}
	return ly, nil
}
