package echo_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/echo"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
)

func TestRoundTrip(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := echo.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := rpcclient.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		method string
		params []any
		want   string
	}{
		{"server.ping", nil, `[]`},
		{"blockchain.scripthash.get_history", []any{"ab01"}, `["ab01"]`},
		{"blockchain.transaction.get_merkle", []any{"00ff", 12}, `["00ff",12]`},
	}
	// Pipelined: all calls in flight together on one connection.
	var wg sync.WaitGroup
	for i := range 50 {
		tt := tests[i%len(tests)]
		wg.Go(func() {
			got, err := c.Call(ctx, tt.method, tt.params...)
			if err != nil {
				t.Errorf("%s: %v", tt.method, err)
				return
			}
			if string(got) != tt.want {
				t.Errorf("%s = %s, want %s", tt.method, got, tt.want)
			}
		})
	}
	wg.Wait()
	s.Close()
	<-c.Done()
	if _, err := c.Call(ctx, "server.ping"); !errors.Is(err, rpcclient.ErrClosed) {
		t.Fatalf("call after server close: %v, want ErrClosed", err)
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"id":7,"method":"m","params":[1,"x"]}`, `{"jsonrpc":"2.0","id":7,"result":[1,"x"]}`},
		{`{"id":"a","method":"m"}`, `{"jsonrpc":"2.0","id":"a","result":[]}`},
		{`not json`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`},
		{`{"method":"notification"}`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`},
	}
	for _, tt := range tests {
		got := echo.Answer([]byte(tt.in))
		if string(got) != tt.want {
			t.Errorf("Answer(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("Answer(%s) is not valid JSON", tt.in)
		}
	}
}

func FuzzAnswer(f *testing.F) {
	f.Add([]byte(`{"id":1,"method":"server.ping","params":[]}`))
	f.Add([]byte(`{"id":null}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		if out := echo.Answer(line); !json.Valid(out) {
			t.Fatalf("Answer(%q) = %q is not valid JSON", line, out)
		}
	})
}
