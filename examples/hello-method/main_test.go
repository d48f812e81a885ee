package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestConform runs the SDK's conformance suite through the wire.
func TestConform(t *testing.T) {
	sdktest.ConformMethods(t, sdktest.NewMethods(t, New()))
}

func TestHelloWorld(t *testing.T) {
	c := sdktest.NewMethods(t, New())
	tests := []struct {
		params string
		want   string
		kind   sdk.Kind
	}{
		{`["amber"]`, `"hello, amber"`, 0},
		{`[""]`, `"hello, "`, 0},
		{`[42]`, "", sdk.KindInvalidArgument},
		{`[null]`, "", sdk.KindInvalidArgument},
	}
	for _, tt := range tests {
		res, err := c.Call(ctx(t), "hello.world", json.RawMessage(tt.params), sdk.SessionInfo{})
		if tt.want != "" {
			if err != nil || string(res) != tt.want {
				t.Errorf("hello.world%s = %s, %v; want %s", tt.params, res, err, tt.want)
			}
			continue
		}
		if sdk.KindOf(err) != tt.kind {
			t.Errorf("hello.world%s = %s, %v; want kind %v", tt.params, res, err, tt.kind)
		}
	}
}

// TestHeight: the plugin reads the tip through the host services.
func TestHeight(t *testing.T) {
	c := sdktest.NewMethods(t, New(), sdktest.WithHost(sdktest.NewFakeHost(12)))
	if _, err := c.Call(ctx(t), "hello.height", json.RawMessage(`[]`), sdk.SessionInfo{}); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("hello.height before Configure (no host yet) = %v, want unavailable", err)
	}
	if err := c.Configure(ctx(t), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	res, err := c.Call(ctx(t), "hello.height", json.RawMessage(`[]`), sdk.SessionInfo{})
	if err != nil || string(res) != "11" {
		t.Errorf("hello.height = %s, %v; want 11", res, err)
	}
}
