package parity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// table is testdata/electrumx-1.20.0.json.
type table struct {
	ElectrumX string `json:"electrumx"`
	AiorpcX   string `json:"aiorpcx"`
	Note      string `json:"note"`
	Rows      []row  `json:"rows"`
}

// row is one scripted session: a fresh connection, an optional
// server.version (setup "1.4" or "1.6"; "none" sends nothing), then the
// messages of send, each answered (or not) before the next is sent.
type row struct {
	Name   string            `json:"name"`
	Setup  string            `json:"setup"`
	Send   []message         `json:"send"`
	Want   []json.RawMessage `json:"want"`
	Notes  []string          `json:"notes"`
	Closed bool              `json:"closed"`
	Cite   string            `json:"cite"`
}

// message is a request object (sent with "jsonrpc":"2.0"), a raw line, or
// an oversized line of that many bytes.
type message struct {
	Req       map[string]any `json:"req"`
	Raw       string         `json:"raw"`
	Oversized int            `json:"oversized"`
}

func (m message) line() ([]byte, bool) {
	switch {
	case m.Oversized > 0:
		return append(bytes.Repeat([]byte("x"), m.Oversized), '\n'), false
	case m.Raw != "":
		return []byte(m.Raw + "\n"), true
	}
	req := map[string]any{"jsonrpc": "2.0"}
	for k, v := range m.Req {
		req[k] = v
	}
	b, _ := json.Marshal(req)
	_, hasID := m.Req["id"]
	return append(b, '\n'), hasID
}

func loadTable(t *testing.T) table {
	t.Helper()
	raw, err := os.ReadFile("testdata/electrumx-1.20.0.json")
	if err != nil {
		t.Fatal(err)
	}
	var tb table
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tb); err != nil {
		t.Fatalf("table: %v", err)
	}
	return tb
}

// TestTableCitations: every row says where in ElectrumX 1.20.0 or aiorpcX
// 0.25.0 its answer comes from, and has a unique name.
func TestTableCitations(t *testing.T) {
	tb := loadTable(t)
	if tb.ElectrumX != "1.20.0" || len(tb.Rows) < 50 {
		t.Fatalf("table for %s with %d rows", tb.ElectrumX, len(tb.Rows))
	}
	cite := regexp.MustCompile(`^(electrumx 1\.20\.0 src/electrumx/|aiorpcX 0\.25\.0 aiorpcx/)[a-z_/]+\.py:\d+`)
	seen := map[string]bool{}
	for _, r := range tb.Rows {
		if !cite.MatchString(r.Cite) {
			t.Errorf("%s: citation %q", r.Name, r.Cite)
		}
		if seen[r.Name] {
			t.Errorf("duplicate row %q", r.Name)
		}
		seen[r.Name] = true
	}
}

// TestElectrumXParity runs every row against one amberd.
func TestElectrumXParity(t *testing.T) {
	tb := loadTable(t)
	node := harness.StartNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := node.Generate(ctx, 101); err != nil {
		t.Fatal(err)
	}
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true})
	// ${cb1} in a row is the txid of block 1's coinbase, from the daemon.
	m, err := harness.BuildModel(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("${cb1}", m.BlockTxids(1)[0].String())
	for _, r := range tb.Rows {
		r = substitute(t, r, vars)
		t.Run(r.Name, func(t *testing.T) {
			if err := runRow(ctx, a.TCPAddr(), r); err != nil {
				t.Errorf("%v\n  (ElectrumX: %s)", err, r.Cite)
			}
		})
	}
}

// substitute replaces the ${...} variables of a row.
func substitute(t *testing.T, r row, vars *strings.Replacer) row {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out row
	if err := json.Unmarshal([]byte(vars.Replace(string(b))), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func runRow(ctx context.Context, addr string, r row) error {
	c, err := harness.DialContext(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.NoAutoVersion = true
	read := func() (json.RawMessage, error) {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return c.ReadRaw(rctx)
	}
	switch r.Setup {
	case "1.4", "1.6":
		v := any("1.4")
		if r.Setup == "1.6" {
			v = []string{"1.4", "1.6"}
		}
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "server.version", "params": []any{"parity", v}, "id": 0})
		if err := c.Send(append(b, '\n')); err != nil {
			return err
		}
		if _, err := read(); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	case "none":
	default:
		return fmt.Errorf("unknown setup %q", r.Setup)
	}
	want := r.Want
	for _, m := range r.Send {
		line, answered := m.line()
		if err := c.Send(line); err != nil {
			return err
		}
		if answered && len(want) > 0 {
			got, err := read()
			if err != nil {
				return fmt.Errorf("reply to %.200s: %w", line, err)
			}
			if err := match(want[0], got); err != nil {
				return fmt.Errorf("reply to %.200s:\n  got  %s\n  want %s\n  %v", line, got, want[0], err)
			}
			want = want[1:]
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("%d replies expected but not read", len(want))
	}
	if len(r.Notes) > 0 {
		var got []string
		for range r.Notes {
			select {
			case n, ok := <-c.Notifications():
				if ok {
					got = append(got, n.Method)
				}
			case <-time.After(10 * time.Second):
			}
		}
		if strings.Join(got, ",") != strings.Join(r.Notes, ",") {
			return fmt.Errorf("notifications %q, want %q", got, r.Notes)
		}
	}
	if r.Closed {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			return fmt.Errorf("connection still open, want closed")
		}
		// Nothing was answered beyond what the row expects.
		if extra, err := c.ReadRaw(ctx); err == nil {
			return fmt.Errorf("unexpected reply %s", extra)
		}
	}
	return nil
}

// match compares a reply with the table's expectation: the "jsonrpc"
// member is ignored; strings "$any", "$str", "$hex", "$num" and "$re:<regexp>" in
// the expectation match a class of values.
func match(want, got json.RawMessage) error {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Errorf("reply is not JSON: %w", err)
	}
	return matchValue("$", w, g)
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

func matchValue(path string, w, g any) error {
	if s, ok := w.(string); ok && strings.HasPrefix(s, "$") {
		gs, isStr := g.(string)
		switch {
		case s == "$any":
			return nil
		case s == "$str" && isStr:
			return nil
		case s == "$hex" && isStr && hexRE.MatchString(gs):
			return nil
		case s == "$num":
			if _, ok := g.(float64); ok {
				return nil
			}
		case strings.HasPrefix(s, "$re:") && isStr && regexp.MustCompile(s[4:]).MatchString(gs):
			return nil
		}
		return fmt.Errorf("%s: %v does not match %s", path, g, s)
	}
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %v, want an object", path, g)
		}
		delete(gv, "jsonrpc")
		for k := range gv {
			if _, ok := wv[k]; !ok {
				return fmt.Errorf("%s: unexpected member %q", path, k)
			}
		}
		for k, v := range wv {
			x, ok := gv[k]
			if !ok {
				return fmt.Errorf("%s: missing member %q", path, k)
			}
			if err := matchValue(path+"."+k, v, x); err != nil {
				return err
			}
		}
		return nil
	case []any:
		gv, ok := g.([]any)
		if !ok || len(gv) != len(wv) {
			return fmt.Errorf("%s: got %v, want %d elements", path, g, len(wv))
		}
		for i := range wv {
			if err := matchValue(fmt.Sprintf("%s[%d]", path, i), wv[i], gv[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if !reflect.DeepEqual(w, g) {
		return fmt.Errorf("%s: got %#v, want %#v", path, g, w)
	}
	return nil
}

// TestMatch: the matcher itself can fail.
func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		ok        bool
	}{
		{`{"id":1,"result":null}`, `{"jsonrpc":"2.0","result":null,"id":1}`, true},
		{`{"id":1,"result":null}`, `{"jsonrpc":"2.0","result":null,"id":2}`, false},
		{`{"id":1,"result":null}`, `{"result":null,"id":1,"x":1}`, false},
		{`{"id":1,"result":"$hex"}`, `{"result":"abc0","id":1}`, true},
		{`{"id":1,"result":"$hex"}`, `{"result":"xyz","id":1}`, false},
		{`{"id":1,"result":"$re:^a.c$"}`, `{"result":"abc","id":1}`, true},
		{`[{"id":1,"result":1}]`, `[{"id":1,"result":1},{"id":2,"result":1}]`, false},
		{`{"id":1,"result":["$str","1.4"]}`, `{"id":1,"result":["Amber","1.4.2"]}`, false},
	} {
		if err := match(json.RawMessage(tc.want), json.RawMessage(tc.got)); (err == nil) != tc.ok {
			t.Errorf("match(%s, %s) = %v, want ok=%v", tc.want, tc.got, err, tc.ok)
		}
	}
}
