package daemonrpc

import "testing"

func TestParseWSMessage(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantNote string
		wantID   uint64
		wantErr  bool
		wantRErr bool
	}{
		{"notification", `{"jsonrpc":"1.0","method":"blockconnected","params":["00",1,2],"id":null}`, "blockconnected", 0, false, false},
		{"notification without id", `{"method":"txaccepted","params":["00",1]}`, "txaccepted", 0, false, false},
		{"reply", `{"result":null,"error":null,"id":7}`, "", 7, false, false},
		{"error reply", `{"result":null,"error":{"code":-32601,"message":"no"},"id":8}`, "", 8, false, true},
		{"not json", `{`, "", 0, true, false},
		{"bad id", `{"result":1,"id":"x"}`, "", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, id, rerr, err := parseWSMessage([]byte(tt.in))
			if (err != nil) != tt.wantErr || (rerr != nil) != tt.wantRErr || id != tt.wantID {
				t.Fatalf("parseWSMessage = %v, %d, %v, %v", n, id, rerr, err)
			}
			if got := ""; n != nil {
				got = n.Method
				if got != tt.wantNote {
					t.Errorf("method %q, want %q", got, tt.wantNote)
				}
			} else if tt.wantNote != "" {
				t.Errorf("no notification, want %q", tt.wantNote)
			}
		})
	}
}

func TestWSURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:18556/": "ws://127.0.0.1:18556/ws",
		"https://node:8334/":      "wss://node:8334/ws",
	} {
		if got := wsURL(in); got != want {
			t.Errorf("wsURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseWSMessage(f *testing.F) {
	f.Add([]byte(`{"method":"blockconnected","params":["00",1,2],"id":null}`))
	f.Add([]byte(`{"result":null,"error":{"code":-1,"message":"x"},"id":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, _, rerr, err := parseWSMessage(data)
		if err != nil && (n != nil || rerr != nil) {
			t.Fatalf("error with a result: %v %v %v", n, rerr, err)
		}
		if n != nil && n.Method == "" {
			t.Fatal("notification without a method")
		}
	})
}
