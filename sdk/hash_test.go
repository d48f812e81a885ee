package sdk

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// genesis is the mainnet genesis block hash in display order.
const genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"

func TestHashText(t *testing.T) {
	h, err := ParseHash(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if h[0] != 0x6f || h[31] != 0x00 {
		t.Fatalf("internal order: first byte %#x, last %#x", h[0], h[31])
	}
	txt, err := h.MarshalText()
	if err != nil || string(txt) != genesis || h.String() != genesis {
		t.Fatalf("MarshalText %q (%v), String %q, want %q", txt, err, h.String(), genesis)
	}
	var back Hash
	if err := back.UnmarshalText([]byte(strings.ToUpper(genesis))); err != nil || back != h {
		t.Fatalf("UnmarshalText of upper case: %v %v", back, err)
	}
	for _, bad := range []string{"", genesis[:62], genesis + "00", "zz" + genesis[2:]} {
		before := back
		if err := back.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", bad)
		}
		if back != before {
			t.Errorf("UnmarshalText(%q) changed the hash on error", bad)
		}
	}
}

func TestHashJSON(t *testing.T) {
	h, _ := ParseHash(genesis)
	type rec struct {
		H    Hash            `json:"h"`
		List []Hash          `json:"list"`
		Map  map[Hash]int    `json:"map"`
		P    *Hash           `json:"p"`
		Arr  [1]Hash         `json:"arr"`
		Any  any             `json:"any"`
		Nil  *Hash           `json:"nil"`
		M2   map[string]Hash `json:"m2"`
	}
	in := rec{H: h, List: []Hash{h, {}}, Map: map[Hash]int{h: 1}, P: &h, Arr: [1]Hash{h}, Any: h, M2: map[string]Hash{"k": h}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	zero := strings.Repeat("0", 64)
	want := `{"h":"` + genesis + `","list":["` + genesis + `","` + zero + `"],"map":{"` + genesis + `":1},"p":"` + genesis +
		`","arr":["` + genesis + `"],"any":"` + genesis + `","nil":null,"m2":{"k":"` + genesis + `"}}`
	if string(b) != want {
		t.Fatalf("json\n got %s\nwant %s", b, want)
	}
	var out rec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.H != h || out.List[0] != h || out.List[1] != (Hash{}) || out.Map[h] != 1 || *out.P != h || out.Arr[0] != h || out.M2["k"] != h {
		t.Fatalf("round trip: %+v", out)
	}
	for _, bad := range []string{`{"h":[1,2]}`, `{"h":"abc"}`, `{"h":12}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestHashInLogs: a plugin's logger (NewLogger's JSON lines) and slog's text
// handler show a Hash as display hex, never as 32 decimal bytes.
func TestHashInLogs(t *testing.T) {
	h, _ := ParseHash(genesis)
	var js bytes.Buffer
	newLogger(&js).Info("block", "hash", h, "ptr", &h, "list", []Hash{h})
	var line map[string]any
	if err := json.Unmarshal(js.Bytes(), &line); err != nil {
		t.Fatalf("%s: %v", js.Bytes(), err)
	}
	if line["hash"] != genesis || line["ptr"] != genesis {
		t.Fatalf("plugin log line %s", js.Bytes())
	}
	if l, ok := line["list"].([]any); !ok || len(l) != 1 || l[0] != genesis {
		t.Fatalf("plugin log line %s", js.Bytes())
	}
	var txt bytes.Buffer
	slog.New(slog.NewTextHandler(&txt, nil)).Info("block", "hash", h)
	if !strings.Contains(txt.String(), "hash="+genesis) {
		t.Fatalf("text log line %s", txt.String())
	}
}

func FuzzHashText(f *testing.F) {
	f.Add(genesis)
	f.Add(strings.ToUpper(genesis))
	f.Add("xyz")
	f.Fuzz(func(t *testing.T, s string) {
		var h Hash
		if err := h.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if !strings.EqualFold(h.String(), s) {
			t.Fatalf("%q parsed as %s", s, h)
		}
		b, _ := h.MarshalText()
		var back Hash
		if back.UnmarshalText(b) != nil || back != h {
			t.Fatalf("round trip of %s", h)
		}
	})
}
