package config

import (
	"context"
	"reflect"
	"testing"

	"github.com/spf13/afero"
)

// FuzzParseServices checks that the parser never panics and that every
// service it accepts prints back to an equivalent string.
func FuzzParseServices(f *testing.F) {
	for _, s := range []string{"tcp://:50001,rpc://", "ssl://[::1]:50002", "ws://h:1,wss://h:2", "tcp://::1:5", "rpc://[fe80::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseServices(in)
		if err != nil {
			return
		}
		for _, s := range got {
			again, err := ParseServices(s.String())
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], s) {
				t.Fatalf("%+v printed as %q re-parses as %+v, %v", s, s.String(), again, err)
			}
		}
	})
}

// FuzzLoadYAML checks that Load never panics on any YAML file and that a
// successful load satisfies the invariants Load promises.
func FuzzLoadYAML(f *testing.F) {
	f.Add("max_send: 5\n")
	f.Add("plugins: {bitcoind: {config: {a: [1, {b: c}]}, env: {X: 1}}}\n")
	f.Add("services: [tcp://:1, rpc://]\ncost_soft_limit: 7\ncost_hard_limit: 7\n")
	f.Add("net: regtest\nreorg_limit: 0\nplugins: {x: {path: /p, start_timeout: 2}}\n")
	f.Fuzz(func(t *testing.T, body string) {
		fs := afero.NewMemMapFs()
		if err := afero.WriteFile(fs, "/f.yaml", []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(context.Background(), LoadOptions{Fs: fs, Args: []string{"--config=/f.yaml"}, Environ: required})
		if err != nil {
			return
		}
		if c.Network == nil || c.MaxSend < minMaxSend || c.ReorgLimit <= 0 ||
			c.CostHardLimit < c.CostSoftLimit || (c.CostSoftLimit != 0 && c.CostHardLimit == c.CostSoftLimit) ||
			c.Plugins[DaemonPlugin] == nil {
			t.Fatalf("invariant broken: %+v", c)
		}
		for name, p := range c.Plugins {
			if _, err := p.ConfigJSON(); err != nil {
				t.Fatalf("plugin %s: %v", name, err)
			}
		}
		_ = c.Redacted()
	})
}
