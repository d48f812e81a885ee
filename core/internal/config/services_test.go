package config

import (
	"reflect"
	"testing"
)

func TestParseServices(t *testing.T) {
	tests := []struct {
		in      string
		want    []Service
		wantErr bool
	}{
		{"", nil, false},
		{" , ", nil, false},
		{"tcp://:50001", []Service{{"tcp", "", 50001}}, false},
		{"TCP://host.example:50001", []Service{{"tcp", "host.example", 50001}}, false},
		{"rpc://", []Service{{"rpc", "localhost", 8000}}, false},
		{"rpc://:9000", []Service{{"rpc", "localhost", 9000}}, false},
		{"rpc://0.0.0.0", []Service{{"rpc", "0.0.0.0", 8000}}, false},
		{"ssl://[::1]:50002, wss://[2001:db8::1]:443", []Service{{"ssl", "::1", 50002}, {"wss", "2001:db8::1", 443}}, false},
		{"ws://127.0.0.1:50003,tcp://127.0.0.1:50001", []Service{{"ws", "127.0.0.1", 50003}, {"tcp", "127.0.0.1", 50001}}, false},
		{"rpc://[::1]", []Service{{"rpc", "::1", 8000}}, false},
		{"tcp://host", nil, true},        // no port
		{"tcp://host:", nil, true},       // empty port
		{"tcp://host:0", nil, true},      // port range
		{"tcp://host:65536", nil, true},  // port range
		{"tcp://host:x", nil, true},      // port syntax
		{"ftp://host:21", nil, true},     // protocol
		{"host:50001", nil, true},        // no protocol
		{"tcp://::1:50001", nil, true},   // unbracketed IPv6
		{"tcp://[::1:50001", nil, true},  // unclosed bracket
		{"tcp://[1.2.3.4]:1", nil, true}, // IPv4 in brackets
		{"tcp://[::1]x", nil, true},      // junk after bracket
		{"tcp://[::1]:", nil, true},      // empty port
		{"tcp://bad host:1", nil, true},  // space
		{"tcp://u@host:1", nil, true},    // userinfo
		{"tcp://host:1/path", nil, true}, // path
		{"tcp://:1,ssl://:1", nil, true}, // same address twice
		{"tcp://a:1,tcp://b:1", []Service{{"tcp", "a", 1}, {"tcp", "b", 1}}, false},
	}
	for _, tc := range tests {
		got, err := ParseServices(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("ParseServices(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseReportServices(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"tcp://example.com:50001,ssl://example.com:50002", false},
		{"tcp://:50001", true}, // host required
		{"rpc://", true},       // no defaults
		{"tcp://example.com", true},
	}
	for _, tc := range tests {
		if _, err := ParseReportServices(tc.in); (err != nil) != tc.wantErr {
			t.Errorf("ParseReportServices(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
		}
	}
}

func TestServiceString(t *testing.T) {
	tests := []struct {
		s    Service
		want string
	}{
		{Service{"tcp", "", 50001}, "tcp://:50001"},
		{Service{"wss", "::1", 443}, "wss://[::1]:443"},
		{Service{"rpc", "localhost", 8000}, "rpc://localhost:8000"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}
