package admin

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/amber-electrum/amber/coins"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
)

func regtestNet(t *testing.T) *coins.Network {
	t.Helper()
	n, err := coins.Lookup("Bitcoin", "regtest")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// clientSession opens a client session that identified itself as name and
// returns it with its server-side Session.
func (r *rig) clientSession(name string) (*conn, *session.Session) {
	r.t.Helper()
	before := map[uint64]bool{}
	for _, s := range r.mgr.Sessions() {
		before[s.ID()] = true
	}
	c := r.dial(r.tcpAddr)
	var v []string
	c.ok(&v, "server.version", []string{name, "1.4"})
	for _, s := range r.mgr.Sessions() {
		if !before[s.ID()] && s.Kind() == "TCP" {
			// The reply reaches the client before the session releases
			// the request's slot: wait for it, so rows read next see
			// nothing pending.
			for deadline := time.Now().Add(10 * time.Second); s.Pending() != 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					r.t.Fatalf("session %d still has %d requests pending", s.ID(), s.Pending())
				}
			}
			return c, s
		}
	}
	r.t.Fatal("client session not found")
	return nil, nil
}

func expectErr(t *testing.T, c *conn, method string, params any, code int, msg string) {
	t.Helper()
	_, e := c.call(method, params)
	if e == nil || e.Code != code || e.Message != msg {
		t.Errorf("%s(%v) error = %+v, want %d %q", method, params, e, code, msg)
	}
}

func TestGetinfo(t *testing.T) {
	r := newRig(t, nil)
	r.peers.list = []PeerInfo{{Host: "a", Status: "good"}, {Host: "b", Status: "bad"}, {Host: "c", Status: "never"}, {Host: "d", Status: "good"}}
	r.groupsFn = func() []GroupInfo { return []GroupInfo{{Name: "g1"}, {Name: "g2"}} }
	_, cs := r.clientSession("Electrum 4.3.4")
	cs.SetLogged(true)
	a := r.dial(r.rpcAddr)
	var info map[string]json.RawMessage
	a.ok(&info, "getinfo", map[string]any{})

	var keys []string
	for k := range info {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"amber", "coin", "daemon", "daemon height", "db height", "db_flush_count", "groups",
		"history cache", "merkle txid cache", "peers", "pid", "request counts", "request total", "sessions",
		"txids cache", "txs sent", "uptime", "version"}
	if !slices.Equal(keys, want) {
		t.Fatalf("getinfo keys %v\nwant %v", keys, want)
	}
	for key, want := range map[string]string{
		"coin": `"BitcoinRegtest"`, "daemon": `"127.0.0.1:18443/"`, "daemon height": "121", "db height": "120",
		"db_flush_count": "7", "groups": "2", "history cache": `"1234567 lookups, 1000 hits, 3 entries"`,
		"merkle txid cache": `"0 lookups, 0 hits, 0 entries"`, "txs sent": "4", "version": `"Amber test"`,
		"peers": `{"bad":1,"good":2,"never":1,"stale":0,"total":4}`,
		"pid":   strconv.Itoa(osPID()),
	} {
		if got := string(info[key]); got != want {
			t.Errorf("getinfo %q = %s, want %s", key, got, want)
		}
	}
	// Amber's extras: the transaction cache's counters under "amber".
	var amber map[string]json.RawMessage
	if err := json.Unmarshal(info[AmberKey], &amber); err != nil {
		t.Fatalf("getinfo %q: %v", AmberKey, err)
	}
	if got, want := string(amber["tx_cache"]),
		`{"lookups":50,"hits":30,"coalesced":5,"entries":12,"bytes":9000,"limit_bytes":33554432}`; got != want {
		t.Errorf("getinfo amber.tx_cache = %s, want %s", got, want)
	}
	for _, k := range []string{"sync", "plugins"} {
		if _, ok := amber[k]; !ok {
			t.Errorf("getinfo amber.%s missing: %v", k, amber)
		}
	}
	var counts map[string]int64
	json.Unmarshal(info["request counts"], &counts)
	if counts["getinfo"] != 1 || counts["server.version"] != 2 || counts["invalid method"] != 1 {
		t.Errorf("request counts %v: want getinfo 1 (admin), server.version 2, invalid method 1", counts)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	if string(info["request total"]) != strconv.FormatInt(total, 10) {
		t.Errorf("request total %s, want %d", info["request total"], total)
	}
	var sess map[string]int64
	json.Unmarshal(info["sessions"], &sess)
	if sess["count"] != 2 || sess["logged"] != 1 {
		t.Errorf("sessions %v: want count 2, logged 1", sess)
	}
	if !regexp.MustCompile(`^"(\d+d )?\d\dh \d\dm( \d\ds)?"$`).Match(info["uptime"]) {
		t.Errorf("uptime %s: not in ElectrumX's duration form", info["uptime"])
	}

	// An unknown admin method counts under "invalid method".
	expectErr(t, a, "nope", []any{}, jsonrpc.MethodNotFound, `unknown method "nope"`)
	a.ok(&info, "getinfo", []any{})
	json.Unmarshal(info["request counts"], &counts)
	if counts["invalid method"] != 2 || counts["getinfo"] != 2 {
		t.Errorf("request counts %v: want invalid method 2, getinfo 2", counts)
	}
}

func wantFlags(s *session.Session, prefix string) string {
	return prefix + strconv.Itoa(s.ConcurrencyTarget())
}

func TestSessions(t *testing.T) {
	r := newRig(t, nil)
	c, cs := r.clientSession("Electrum 4.3.4")
	a := r.dial(r.rpcAddr)
	var rows [][]any
	a.ok(&rows, "sessions", nil)
	if len(rows) != 2 {
		t.Fatalf("sessions: %d rows, want 2: %v", len(rows), rows)
	}
	row := rows[0] // the client session started first
	if len(row) != 15 {
		t.Fatalf("row has %d columns, want 15: %v", len(row), row)
	}
	if row[0].(float64) != float64(cs.ID()) || row[1] != wantFlags(cs, "T") || row[2] != c.c.LocalAddr().String() ||
		row[3] != "Electrum 4.3.4" || row[4] != "1.4" || row[9].(float64) != 0 || row[10].(float64) != 1 {
		t.Errorf("client row %v", row)
	}
	if row[6].(float64) != cs.ExtraCost() {
		t.Errorf("extra cost %v, want %v", row[6], cs.ExtraCost())
	}
	adm := rows[1]
	if adm[3] != "RPC" || adm[4] != "RPC" || adm[1].(string)[0] != 'R' || adm[7].(float64) != 1 {
		t.Errorf("admin row %v: want client and protocol RPC, flags R…, 1 pending (this request)", adm)
	}
	cs.SetLogged(true)
	a.ok(&rows, "sessions", nil)
	if rows[0][1] != wantFlags(cs, "TL") {
		t.Errorf("logged flags %v, want %s", rows[0][1], wantFlags(cs, "TL"))
	}
}

func TestGroups(t *testing.T) {
	r := newRig(t, nil)
	_, s1 := r.clientSession("one")
	_, s2 := r.clientSession("two")
	s1.AddCost(10.5)
	s2.AddCost(20)
	r.groupsFn = func() []GroupInfo {
		return []GroupInfo{{Name: "203.0.113.0/24", Members: []uint64{s1.ID(), s2.ID(), 9999}, RetainedCost: 42}, {Name: "empty"}}
	}
	a := r.dial(r.rpcAddr)
	var rows [][]float64
	res, e := a.call("groups", nil)
	if e != nil {
		t.Fatal(e)
	}
	var raw [][]any
	json.Unmarshal(res, &raw)
	if len(raw) != 2 || raw[0][0] != "203.0.113.0/24" || raw[1][0] != "empty" {
		t.Fatalf("groups %s", res)
	}
	for _, g := range raw {
		var nums []float64
		for _, v := range g[1:] {
			nums = append(nums, v.(float64))
		}
		rows = append(rows, nums)
	}
	c1, c2 := s1.Counters(), s2.Counters()
	want := []float64{2, s1.Cost() + s2.Cost(), 42, 0, 0, 0,
		float64(c1.RecvCount.Load() + c2.RecvCount.Load()), float64(c1.RecvBytes.Load() + c2.RecvBytes.Load()),
		float64(c1.SendCount.Load() + c2.SendCount.Load()), float64(c1.SendBytes.Load() + c2.SendBytes.Load())}
	if !slices.Equal(rows[0], want) {
		t.Errorf("group row %v, want %v", rows[0], want)
	}
	if !slices.Equal(rows[1], make([]float64, 10)) {
		t.Errorf("empty group row %v", rows[1])
	}
}

// waitClosed waits until c's connection is closed by the server.
func waitClosed(t *testing.T, c *conn) {
	t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.rd.ReadBytes('\n'); err == nil {
		t.Error("connection still open")
	}
}

func TestDisconnect(t *testing.T) {
	r := newRig(t, nil)
	c1, s1 := r.clientSession("one")
	c2, s2 := r.clientSession("two")
	c3, s3 := r.clientSession("three")
	r.groupsFn = func() []GroupInfo { return []GroupInfo{{Name: "Pool", Members: []uint64{s2.ID(), s3.ID()}}} }
	a := r.dial(r.rpcAddr)
	for _, bad := range []any{"1", 5, []any{1, 2}, map[string]any{"x": 1}, nil} {
		expectErr(t, a, "disconnect", map[string]any{"session_ids": bad}, jsonrpc.BadRequest, "expected a list of session IDs")
	}
	var got []string
	id1 := strconv.FormatUint(s1.ID(), 10)
	a.ok(&got, "disconnect", map[string]any{"session_ids": []string{id1, "9999", "bogus", id1}})
	if want := []string{"disconnecting session " + id1, "unknown: 9999", "unknown: bogus"}; !slices.Equal(got, want) {
		t.Errorf("disconnect = %q, want %q", got, want)
	}
	waitClosed(t, c1)
	a.ok(&got, "disconnect", [][]string{{"POOL"}})
	if want := []string{"disconnecting group Pool"}; !slices.Equal(got, want) {
		t.Errorf("disconnect = %q, want %q", got, want)
	}
	waitClosed(t, c2)
	waitClosed(t, c3)
	r.waitSessions(1)

	c4, _ := r.clientSession("four")
	a.ok(&got, "disconnect", map[string]any{"session_ids": []string{"all"}})
	if want := []string{"disconnecting all sessions"}; !slices.Equal(got, want) {
		t.Errorf("disconnect = %q, want %q", got, want)
	}
	waitClosed(t, c4)
	waitClosed(t, a) // the caller too, after its reply
	r.waitSessions(0)
}

func TestLog(t *testing.T) {
	r := newRig(t, nil)
	_, s1 := r.clientSession("one")
	_, s2 := r.clientSession("two")
	a := r.dial(r.rpcAddr)
	id1, id2 := strconv.FormatUint(s1.ID(), 10), strconv.FormatUint(s2.ID(), 10)
	r.groupsFn = func() []GroupInfo { return []GroupInfo{{Name: "g", Members: []uint64{s1.ID(), s2.ID()}}} }
	expectErr(t, a, "log", map[string]any{"session_ids": "all"}, jsonrpc.BadRequest, "expected a list of session IDs")

	steps := []struct {
		ids        []string
		want       []string
		log1, log2 bool
	}{
		{[]string{id1, id1, "nope"}, []string{"logging session " + id1, "unknown: nope"}, true, false},
		{[]string{"G"}, []string{"not logging session " + id1, "logging session " + id2}, false, true},
		{[]string{id2, "g"}, []string{"not logging session " + id2, "logging session " + id1}, true, false},
		{[]string{"none"}, []string{"logging no sessions"}, false, false},
		{[]string{"ALL"}, []string{"logging all sessions"}, true, true},
		{[]string{"new"}, []string{"not logging new sessions"}, true, true},
		{[]string{"new"}, []string{"logging new sessions"}, true, true},
	}
	for i, st := range steps {
		var got []string
		a.ok(&got, "log", map[string]any{"session_ids": st.ids})
		if !slices.Equal(got, st.want) {
			t.Errorf("step %d log %q = %q, want %q", i, st.ids, got, st.want)
		}
		if s1.Logged() != st.log1 || s2.Logged() != st.log2 {
			t.Errorf("step %d: logged %v %v, want %v %v", i, s1.Logged(), s2.Logged(), st.log1, st.log2)
		}
	}
	// "new" is on: a new client session starts logged; after "none" not.
	_, s3 := r.clientSession("three")
	if !s3.Logged() || !r.admin.LogNew() {
		t.Error("session opened under `log new` is not logged")
	}
	var got []string
	a.ok(&got, "log", map[string]any{"session_ids": []string{"none"}})
	_, s4 := r.clientSession("four")
	if s4.Logged() || s3.Logged() {
		t.Error("`log none` left sessions logged")
	}
}

func TestDaemonURL(t *testing.T) {
	r := newRig(t, nil)
	a := r.dial(r.rpcAddr)
	for _, tc := range []struct {
		arg      any
		want     string
		wantURLs []string
		daemon   string
	}{
		{"a:b@127.0.0.1:1234,c:d@127.0.0.1:999", "now using daemon at 127.0.0.1:1234/",
			[]string{"a:b@127.0.0.1:1234", "c:d@127.0.0.1:999"}, "127.0.0.1:1234/"},
		{"http://x:y@localhost/", "now using daemon at localhost:18443/", []string{"http://x:y@localhost/"}, "localhost:18443/"},
		{"", "now using daemon at 127.0.0.1:18443/", []string{"u:p@127.0.0.1:18443"}, "127.0.0.1:18443/"},
		{nil, "now using daemon at 127.0.0.1:18443/", []string{"u:p@127.0.0.1:18443"}, "127.0.0.1:18443/"},
	} {
		var got string
		params := map[string]any{}
		if tc.arg != nil {
			params["daemon_url"] = tc.arg
		}
		a.ok(&got, "daemon_url", params)
		if got != tc.want {
			t.Errorf("daemon_url(%v) = %q, want %q", tc.arg, got, tc.want)
		}
		r.sw.mu.Lock()
		last := r.sw.urls[len(r.sw.urls)-1]
		r.sw.mu.Unlock()
		if !slices.Equal(last, tc.wantURLs) || !slices.Equal(r.admin.DaemonURLs(), tc.wantURLs) {
			t.Errorf("daemon_url(%v): SetDaemonURLs(%q), DaemonURLs %q, want %q", tc.arg, last, r.admin.DaemonURLs(), tc.wantURLs)
		}
		var info map[string]any
		a.ok(&info, "getinfo", nil)
		if info["daemon"] != tc.daemon {
			t.Errorf("after daemon_url(%v) getinfo daemon = %v, want %s", tc.arg, info["daemon"], tc.daemon)
		}
	}
	n := len(r.sw.urls)
	expectErr(t, a, "daemon_url", []any{"127.0.0.1:5"}, jsonrpc.BadRequest, `an error occurred: invalid daemon URL: "127.0.0.1:5"`)
	expectErr(t, a, "daemon_url", []any{5}, jsonrpc.BadRequest, "an error occurred: daemon_url must be a string, got 5")
	if len(r.sw.urls) != n {
		t.Error("a failed switch was recorded")
	}

	r2 := newRig(t, func(o *Options) { o.Switcher = nil })
	expectErr(t, r2.dial(r2.rpcAddr), "daemon_url", nil, jsonrpc.BadRequest, "an error occurred: the daemon plugin cannot switch URLs")
}

func TestReorg(t *testing.T) {
	r := newRig(t, nil)
	a := r.dial(r.rpcAddr)
	var got string
	a.ok(&got, "reorg", map[string]any{"count": 3})
	if got != "scheduled a reorg of 3 blocks" {
		t.Errorf("reorg 3 = %q", got)
	}
	a.ok(&got, "reorg", []any{"1200"})
	if got != "scheduled a reorg of 1,200 blocks" {
		t.Errorf("reorg 1200 = %q", got)
	}
	a.ok(&got, "reorg", []any{0})
	if got != "scheduled a reorg of 0 blocks" {
		t.Errorf("reorg 0 = %q", got)
	}
	if !slices.Equal(r.ix.reorgs, []int{3, 1200}) {
		t.Errorf("ForceReorg calls %v, want [3 1200]", r.ix.reorgs)
	}
	expectErr(t, a, "reorg", []any{-2}, jsonrpc.BadRequest, "-2 should be a non-negative integer")
	expectErr(t, a, "reorg", []any{"x"}, jsonrpc.BadRequest, "x should be a non-negative integer")
	expectErr(t, a, "reorg", []any{1.5}, jsonrpc.BadRequest, "1.5 should be a non-negative integer")
	expectErr(t, a, "reorg", []any{}, jsonrpc.InvalidParams, `0 arguments passed to method "reorg" but it requires 1`)
	r.ix.mu.Lock()
	r.ix.failErr = errTest("too deep")
	r.ix.mu.Unlock()
	expectErr(t, a, "reorg", []any{5}, jsonrpc.BadRequest, "reorg of 5 blocks failed: too deep")
	r.ix.mu.Lock()
	r.ix.status.Synced = false
	r.ix.mu.Unlock()
	expectErr(t, a, "reorg", []any{3}, jsonrpc.BadRequest, "still catching up with daemon")
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestPeersAndAddPeer(t *testing.T) {
	r := newRig(t, nil)
	port := 50002
	r.peers.list = []PeerInfo{
		{Host: "bad.example", Status: "bad", LastGood: 900},
		{Host: "old.example", Status: "stale", LastGood: 100, IPAddr: "192.0.2.1"},
		{Host: "new.example", Status: "good", LastGood: 500, Features: map[string]any{
			"hosts": map[string]any{"new.example": map[string]any{"ssl_port": port, "tcp_port": nil}}, "server_version": "ElectrumX 1.16.0"}},
		{Host: "never.example", Status: "never"},
	}
	a := r.dial(r.rpcAddr)
	var got []map[string]any
	a.ok(&got, "peers", nil)
	var order []string
	for _, p := range got {
		order = append(order, p["host"].(string))
	}
	if want := []string{"new.example", "old.example", "never.example", "bad.example"}; !slices.Equal(order, want) {
		t.Errorf("peers order %v, want %v", order, want)
	}
	for _, k := range []string{"host", "features", "source", "ip_addr", "last_good", "last_try", "try_count", "status"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("peer object lacks %q: %v", k, got[0])
		}
	}
	if got[0]["ip_addr"] != nil || got[1]["ip_addr"] != "192.0.2.1" {
		t.Errorf("ip_addr: %v, %v (want null, 192.0.2.1)", got[0]["ip_addr"], got[1]["ip_addr"])
	}
	var msg string
	a.ok(&msg, "add_peer", map[string]any{"real_name": "ecdsa.net v1.4 s110 t"})
	if msg != "peer 'ecdsa.net v1.4 s110 t' added" || !slices.Equal(r.peers.added, []string{"ecdsa.net v1.4 s110 t"}) {
		t.Errorf("add_peer = %q, manager got %q", msg, r.peers.added)
	}
	expectErr(t, a, "add_peer", []any{7}, jsonrpc.BadRequest, "real_name must be a string, got 7")

	r2 := newRig(t, func(o *Options) { o.Peers = nil })
	b := r2.dial(r2.rpcAddr)
	res, e := b.call("peers", nil)
	if e != nil || string(res) != "[]" {
		t.Errorf("peers without a manager = %s %v, want []", res, e)
	}
	b.ok(&msg, "add_peer", []any{"x.example t"})
	if msg != "peer 'x.example t' added" {
		t.Errorf("add_peer without a manager = %q", msg)
	}
}

func TestStop(t *testing.T) {
	r := newRig(t, nil)
	var got string
	r.dial(r.rpcAddr).ok(&got, "stop", nil)
	if got != "stopping" {
		t.Errorf("stop = %q", got)
	}
	select {
	case <-r.stopped:
	case <-time.After(5 * time.Second):
		t.Error("Stop not called")
	}
}

func TestNewTxCacheStats(t *testing.T) {
	tests := []struct {
		name  string
		usage func() (int, int64)
		limit int64
		want  TxCacheStats
	}{
		{"no usage function", nil, 0, TxCacheStats{Lookups: 7, Hits: 3, Coalesced: 1}},
		{"usage", func() (int, int64) { return 4, 1234 }, 1 << 20,
			TxCacheStats{Lookups: 7, Hits: 3, Coalesced: 1, Entries: 4, Bytes: 1234, LimitBytes: 1 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewTxCacheStats(7, 3, 1, tt.usage, tt.limit); got != tt.want {
				t.Errorf("NewTxCacheStats = %+v, want %+v", got, tt.want)
			}
		})
	}
}
