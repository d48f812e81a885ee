package config

import (
	"reflect"
	"testing"
	"time"
)

func TestOperationalKeys(t *testing.T) {
	env := []string{
		"COIN=Bitcoin", "NET=regtest", "DB_DIRECTORY=/db", "DAEMON_URL=u:p@127.0.0.1:1",
		"AMBER_PEER_SEEDS=a.example s50002 t50001, b.example t1",
		"PEER_ALLOW_PRIVATE=yes", "AMBER_RPC_ALLOW_REMOTE=true",
		"AMBER_PLUGIN_RESTART_DELAY=2", "AMBER_PLUGIN_CRASH_LIMIT=3",
	}
	c := mustLoad(t, nil, env)
	if want := []string{"a.example s50002 t50001", "b.example t1"}; !reflect.DeepEqual(c.PeerSeeds, want) {
		t.Errorf("PeerSeeds = %q, want %q", c.PeerSeeds, want)
	}
	if !c.PeerAllowPrivate || !c.RPCAllowRemote {
		t.Errorf("PeerAllowPrivate %v RPCAllowRemote %v", c.PeerAllowPrivate, c.RPCAllowRemote)
	}
	if c.PluginRestartDelay != 2*time.Second || c.PluginRestartMaxDelay != 2*time.Minute ||
		c.PluginCrashLimit != 3 || c.PluginCrashWindow != 10*time.Minute {
		t.Errorf("restart policy: %v %v %d %v", c.PluginRestartDelay, c.PluginRestartMaxDelay, c.PluginCrashLimit, c.PluginCrashWindow)
	}
}
