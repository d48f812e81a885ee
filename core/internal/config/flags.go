package config

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/knadh/koanf/providers/posflag"
	"github.com/spf13/pflag"
)

const configFlag = "config"

// ErrHelp is returned (wrapped in a *HelpError) when --help is given.
var ErrHelp = pflag.ErrHelp

// HelpError carries the usage text when --help was requested.
type HelpError struct{ Usage string }

func (e *HelpError) Error() string { return e.Usage }

// Is makes errors.Is(err, ErrHelp) true.
func (e *HelpError) Is(target error) bool { return target == ErrHelp }

// pluginFlagPrefix prefixes the flags of the daemon plugin block.
const pluginFlagPrefix = "plugin-" + DaemonPlugin + "-"

// flagKeys maps flag names to key paths.
var flagKeys = func() map[string]string {
	m := map[string]string{}
	for _, d := range keyDefs {
		m[flagName(d.name)] = d.name
	}
	for _, d := range pluginDefs {
		if d.kind == kindString || d.kind == kindDuration || d.kind == kindStrings {
			m[pluginFlagPrefix+flagName(d.name)] = "plugins." + DaemonPlugin + "." + d.name
		}
	}
	return m
}()

func newFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("amberd", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.String(configFlag, "", "configuration file, .yaml or .toml (env AMBER_CONFIG)")
	for _, d := range keyDefs {
		addFlag(fs, flagName(d.name), &d, envHelp(d.exName, envName(d.name)))
	}
	for _, d := range pluginDefs {
		name := pluginFlagPrefix + flagName(d.name)
		if _, ok := flagKeys[name]; ok {
			addFlag(fs, name, &d, envHelp("", envName("plugins", DaemonPlugin, d.name)))
		}
	}
	fs.BoolP("help", "h", false, "show this help")
	return fs
}

func addFlag(fs *pflag.FlagSet, name string, d *keyDef, env string) {
	usage := d.help + " " + env
	switch d.kind {
	case kindBool:
		def, _ := d.def.(bool)
		fs.Bool(name, def, usage)
	default:
		fs.Var(&textValue{s: defaultText(d.def), typ: kindNames[d.kind]}, name, usage)
	}
}

// kindNames are the value types shown in --help.
var kindNames = map[kind]string{
	kindString: "string", kindInt: "int", kindDuration: "duration", kindList: "list",
	kindEnum: "string", kindRegex: "regex", kindStrings: "list",
}

// textValue is a string flag that shows its key's type in --help; the text
// is parsed later, like an environment variable.
type textValue struct{ s, typ string }

func (v *textValue) String() string     { return v.s }
func (v *textValue) Set(s string) error { v.s = s; return nil }
func (v *textValue) Type() string       { return v.typ }

func envHelp(exName, amberName string) string {
	if exName != "" {
		return "(env " + exName + " or " + amberName + ")"
	}
	return "(env " + amberName + ")"
}

func defaultText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Duration:
		return x.String()
	}
	return fmt.Sprint(v)
}

// Usage returns the --help text.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: amberd [flags]\n\nFlags:\n")
	b.WriteString(newFlagSet().FlagUsages())
	return b.String()
}

func parseFlags(args []string) (*pflag.FlagSet, error) {
	fs := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, &HelpError{Usage: Usage()}
		}
		return nil, fmt.Errorf("config: flags: %w", err)
	}
	if help, _ := fs.GetBool("help"); help {
		return nil, &HelpError{Usage: Usage()}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	return fs, nil
}

// flagsLayer returns the flags that were set on the command line, through
// koanf's posflag provider.
func flagsLayer(fs *pflag.FlagSet) (layer, error) {
	srcs := map[string]string{}
	p := posflag.ProviderWithFlag(fs, keyDelim, nil, func(f *pflag.Flag) (string, any) {
		key, ok := flagKeys[f.Name]
		if !ok {
			return "", nil
		}
		srcs[key] = "flag --" + f.Name
		return key, f.Value.String()
	})
	m, err := p.Read()
	if err != nil {
		return nil, fmt.Errorf("config: flags: %w", err)
	}
	ly := layer{}
	flattenInto(ly, "", m, func(key string, v any) rawValue {
		return rawValue{v: v, source: srcs[key], origin: fromText}
	})
	return ly, nil
}

// flattenInto flattens a nested map produced by a provider into ly.
func flattenInto(ly layer, prefix string, m map[string]any, mk func(string, any) rawValue) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + keyDelim + k
		}
		if sub, ok := v.(map[string]any); ok {
			flattenInto(ly, key, sub, mk)
			continue
		}
		ly[key] = mk(key, v)
	}
}
