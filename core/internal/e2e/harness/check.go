package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// DecodeStrict decodes a JSON result into v, rejecting unknown object keys
// and trailing data.
func DecodeStrict(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("decode %.200s: %w", raw, err)
	}
	if d.More() {
		return fmt.Errorf("decode %.200s: trailing data", raw)
	}
	return nil
}

// callStrict calls method and decodes its result strictly into v.
func callStrict(ctx context.Context, c *Client, v any, method string, params ...any) error {
	res, rerr := c.Call(ctx, method, params...)
	if rerr != nil {
		return fmt.Errorf("%s %v: %w", method, params, rerr)
	}
	if err := DecodeStrict(res, v); err != nil {
		return fmt.Errorf("%s %v: %w", method, params, err)
	}
	return nil
}

// CheckScript compares the server's answers for one script hash with the
// model: get_history, get_mempool, get_balance, listunspent (mempool part
// order-insensitive) and subscribe (status). It also checks that the status
// recomputed from the server's own get_history equals its subscribe status,
// as Electrum 4.3.4 does. The error lists the first mismatch.
func CheckScript(ctx context.Context, c *Client, m *Model, sh string) error {
	var hist []HistoryEntry
	if err := callStrict(ctx, c, &hist, "blockchain.scripthash.get_history", sh); err != nil {
		return err
	}
	if want := m.History(sh); !sameHistory(hist, want) {
		return fmt.Errorf("%s get_history:\n got %s\nwant %s", sh, js(hist), js(want))
	}
	var mem []HistoryEntry
	if err := callStrict(ctx, c, &mem, "blockchain.scripthash.get_mempool", sh); err != nil {
		return err
	}
	if want := m.Mempool(sh); !sameHistory(mem, want) {
		return fmt.Errorf("%s get_mempool:\n got %s\nwant %s", sh, js(mem), js(want))
	}
	var bal Balance
	if err := callStrict(ctx, c, &bal, "blockchain.scripthash.get_balance", sh); err != nil {
		return err
	}
	if want := m.Balance(sh); bal != want {
		return fmt.Errorf("%s get_balance: got %+v, want %+v", sh, bal, want)
	}
	var us []Unspent
	if err := callStrict(ctx, c, &us, "blockchain.scripthash.listunspent", sh); err != nil {
		return err
	}
	if want := m.ListUnspent(sh); !sameUnspent(NormalizeUnspent(us), want) {
		return fmt.Errorf("%s listunspent:\n got %s\nwant %s", sh, js(us), js(want))
	}
	var status *string
	if err := callStrict(ctx, c, &status, "blockchain.scripthash.subscribe", sh); err != nil {
		return err
	}
	if want := m.Status(sh); !sameStatus(status, want) {
		return fmt.Errorf("%s subscribe status: got %s, want %s", sh, js(status), js(want))
	}
	if own := StatusOf(hist); !sameStatus(status, own) {
		return fmt.Errorf("%s subscribe status %s differs from the status of its own get_history %s", sh, js(status), js(own))
	}
	return nil
}

func sameHistory(a, b []HistoryEntry) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameUnspent(a, b []Unspent) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameStatus(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}

// CheckScripts runs CheckScript for every script hash in shs over the given
// clients concurrently (one worker per client) and returns up to max
// mismatches (all of them if max <= 0).
func CheckScripts(ctx context.Context, clients []*Client, m *Model, shs []string, max int) []error {
	work := make(chan string)
	var mu sync.Mutex
	var errs []error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sh := range work {
				if err := CheckScript(ctx, c, m, sh); err != nil {
					mu.Lock()
					if max <= 0 || len(errs) < max {
						errs = append(errs, err)
					}
					if max > 0 && len(errs) >= max {
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, sh := range shs {
		select {
		case work <- sh:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return errs
}

// Header is the result of blockchain.headers.subscribe.
type Header struct {
	Hex    string `json:"hex"`
	Height int64  `json:"height"`
}

// WaitTip polls blockchain.headers.subscribe until the server reports the
// model's tip (height and header), then returns nil; else the last state
// when ctx ends.
func WaitTip(ctx context.Context, c *Client, m *Model) error {
	want := Header{Hex: m.HeaderHex(m.Tip()), Height: m.Tip()}
	var last Header
	var lastErr error
	for {
		lastErr = c.CallInto(ctx, &last, "blockchain.headers.subscribe")
		if lastErr == nil && last == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server tip %d (err %v), want %d %s: %w", last.Height, lastErr, want.Height, want.Hex, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitScripts retries CheckScript on shs until all match the model (the
// server's mempool view lags the daemon by a poll interval) or ctx ends,
// then returns the remaining mismatches.
func WaitScripts(ctx context.Context, c *Client, m *Model, shs []string) error {
	for {
		var errs []error
		for _, sh := range shs {
			if err := CheckScript(ctx, c, m, sh); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d scripts still differ: %w", len(errs), len(shs), errors.Join(errs...))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
