package admin

import (
	"errors"
	"os"
	"testing"
)

func osPID() int { return os.Getpid() }

func TestCheckListenAddr(t *testing.T) {
	for _, tc := range []struct {
		host   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1", false, true}, {"localhost", false, true}, {"LOCALHOST", false, true},
		{"::1", false, true}, {"[::1]", false, true}, {"127.5.6.7", false, true},
		{"", false, false}, {"0.0.0.0", false, false}, {"192.0.2.1", false, false},
		{"::", false, false}, {"example.com", false, false},
		{"0.0.0.0", true, true}, {"", true, true},
	} {
		err := CheckListenAddr(tc.host, tc.remote)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrRemoteAdmin)) {
			t.Errorf("CheckListenAddr(%q, %v) = %v, want ok=%v", tc.host, tc.remote, err, tc.ok)
		}
	}
}

func TestCoinAmount(t *testing.T) {
	for sats, want := range map[int64]string{
		0: "0", 1: "0.00000001", 150_000_000: "1.5", 5_000_000_000: "50",
		123_456_789_012: "1,234.56789012", 100_000_000_000: "1,000", 10: "0.0000001",
	} {
		if got := CoinAmount(sats); got != want {
			t.Errorf("CoinAmount(%d) = %q, want %q", sats, got, want)
		}
	}
}

func TestDaemonLabel(t *testing.T) {
	for _, tc := range []struct {
		url  string
		port int
		want string
	}{
		{"user:pass@127.0.0.1:8332", 8332, "127.0.0.1:8332/"},
		{"http://user:p@ss@host:1/", 8332, "host:1/"},
		{"https://u:p@host", 18443, "host:18443/"},
		{" u:p@[::1]:5 ", 1, "[::1]:5/"},
		{"u:p@[::1]", 7, "[::1]:7/"},
		{"host", 0, "host/"},
		{"", 1, ""},
	} {
		if got := DaemonLabel(tc.url, tc.port); got != tc.want {
			t.Errorf("DaemonLabel(%q, %d) = %q, want %q", tc.url, tc.port, got, tc.want)
		}
	}
}

func TestShortName(t *testing.T) {
	if ShortName("mainnet") != "BTC" || ShortName("regtest") != "XTN" || ShortName("testnet4") != "XTN" {
		t.Error("ShortName")
	}
}

func FuzzArgs(f *testing.F) {
	for _, s := range []string{`3`, `"12"`, `-1`, `1.5`, `3.0`, `null`, `[]`, `["a","b"]`, `[1]`, `"x"`, `1e400`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if n, err := nonNegative([]byte(raw)); err == nil && n < 0 {
			t.Fatalf("nonNegative(%s) = %d", raw, n)
		}
		if list, ok := stringList([]byte(raw)); ok && list == nil {
			t.Fatalf("stringList(%s) ok with nil", raw)
		}
		_, _ = optString([]byte(raw))
		_ = display([]byte(raw))
		_ = DaemonLabel(raw, 8332)
	})
}
