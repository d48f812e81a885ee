package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
)

const configsDir = "../../../configs"

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fmtAny(v any) string { return fmt.Sprintf("%v", v) }

// structKeys lists the koanf keys of a struct type, prefixed.
func structKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("koanf")
		if tag == "" || tag == "-" || tag == "plugins" {
			continue
		}
		keys = append(keys, prefix+tag)
	}
	return keys
}

// TestExampleConfig keeps configs/amberd.example.yaml complete and correct:
// it must parse, name every key of Config (and of the bitcoind plugin block),
// and its values must be the defaults.
func TestExampleConfig(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(configsDir, "amberd.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ly, err := parseFile(body, yaml.Parser(), "file example")
	if err != nil {
		t.Fatal(err)
	}
	keys := structKeys(reflect.TypeFor[Config](), "")
	keys = append(keys, structKeys(reflect.TypeFor[Plugin](), "plugins.bitcoind.")...)
	if len(keys) != len(keyDefs)+len(pluginDefs) {
		t.Errorf("Config has %d keys, key table has %d", len(keys), len(keyDefs)+len(pluginDefs))
	}
	for _, k := range keys {
		if _, ok := ly[k]; !ok {
			t.Errorf("example config lacks key %s", k)
		}
		if _, err := lookupDef(k); err != nil {
			t.Errorf("Config key %s is not in the key table: %v", k, err)
		}
	}

	files := map[string]string{"/example.yaml": string(body)}
	fromFile := mustLoad(t, files, required, "--config", "/example.yaml")
	defaults := mustLoad(t, nil, required)
	fromFile.ConfigFile = ""
	fromFile.fs, defaults.fs = nil, nil
	if !reflect.DeepEqual(fromFile.Redacted(), defaults.Redacted()) {
		t.Errorf("example values are not the defaults:\nexample  %v\ndefaults %v", fromFile.Redacted(), defaults.Redacted())
	}
}

func TestRegtestConfig(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(configsDir, "regtest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, map[string]string{"/regtest.yaml": string(body)}, nil, "--config=/regtest.yaml")
	wantServices := []Service{{"tcp", "127.0.0.1", 50001}, {"ws", "127.0.0.1", 50003}, {"rpc", "127.0.0.1", 8000}}
	if c.Network.Name != "regtest" || c.DBDirectory != "./devnet/amber" ||
		!reflect.DeepEqual(c.DaemonURLs, []string{"amber:amber@127.0.0.1:18556"}) ||
		!reflect.DeepEqual(c.Services, wantServices) || c.MempoolPollInterval != time.Second || c.LogLevel != "info" {
		t.Errorf("regtest config = %+v", c)
	}
}
