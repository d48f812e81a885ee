package sdk

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestMethodSpecValidate(t *testing.T) {
	ok := MethodSpec{Name: "hello.world", MinArgs: 1, MaxArgs: 2, ParamNames: []string{"name", "greeting"}, Cost: 0.1, MinProtocol: "1.4"}
	tests := []struct {
		name string
		edit func(*MethodSpec)
		want string // "" for valid
	}{
		{"valid", func(*MethodSpec) {}, ""},
		{"no param names", func(m *MethodSpec) { m.ParamNames = nil }, ""},
		{"empty name", func(m *MethodSpec) { m.Name = "" }, "empty method name"},
		{"not namespaced", func(m *MethodSpec) { m.Name = "hello" }, "not namespaced"},
		{"only dots", func(m *MethodSpec) { m.Name = ".hello." }, "not namespaced"},
		{"space", func(m *MethodSpec) { m.Name = "hello. world" }, "spaces"},
		{"control", func(m *MethodSpec) { m.Name = "hello.\x01" }, "control"},
		{"negative min", func(m *MethodSpec) { m.MinArgs = -1 }, "bad arity"},
		{"max below min", func(m *MethodSpec) { m.MinArgs, m.MaxArgs = 2, 1; m.ParamNames = []string{"a"} }, "bad arity"},
		{"names vs max", func(m *MethodSpec) { m.ParamNames = []string{"name"} }, "1 ParamNames for MaxArgs 2"},
		{"repeated name", func(m *MethodSpec) { m.ParamNames = []string{"a", "a"} }, "empty or repeated"},
		{"negative cost", func(m *MethodSpec) { m.Cost = -1 }, "cost"},
		{"NaN cost", func(m *MethodSpec) { m.Cost = math.NaN() }, "cost"},
		{"bad protocol", func(m *MethodSpec) { m.MinProtocol = "1.x" }, "MinProtocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			m.ParamNames = slices.Clone(ok.ParamNames)
			tt.edit(&m)
			err := m.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate(%+v) = %v, want nil", m, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate(%+v) = %v, want an error containing %q", m, err, tt.want)
			}
		})
	}
}

func TestParseProtocol(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"1.4", []int{1, 4}},
		{"1.4.2", []int{1, 4, 2}},
		{"2", []int{2}},
		{"", nil},
		{"1..4", nil},
		{"1.-4", nil},
		{" 1.4", nil},
	}
	for _, tt := range tests {
		got, err := parseProtocol(tt.in)
		if (err != nil) != (tt.want == nil) || !slices.Equal(got, tt.want) {
			t.Errorf("parseProtocol(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseProtocol(f *testing.F) {
	for _, s := range []string{"1.4", "1.4.2", "", "x", "1.", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseProtocol(s)
		if err != nil {
			return
		}
		for _, n := range v {
			if n < 0 {
				t.Fatalf("parseProtocol(%q) = %v: negative part", s, v)
			}
		}
		if len(v) != strings.Count(s, ".")+1 {
			t.Fatalf("parseProtocol(%q) = %v: %d parts", s, v, len(v))
		}
	})
}
