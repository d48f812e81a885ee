package subbench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
)

// AmberdPID asks amberd's admin RPC (rpcAddr, newline-framed JSON-RPC)
// for its process id (getinfo "pid").
func AmberdPID(ctx context.Context, rpcAddr string) (int, error) {
	c, err := rpcclient.Dial(ctx, rpcAddr)
	if err != nil {
		return 0, fmt.Errorf("admin rpc: %w", err)
	}
	defer c.Close()
	raw, err := c.Call(ctx, "getinfo")
	if err != nil {
		return 0, fmt.Errorf("admin getinfo: %w", err)
	}
	var info struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(raw, &info); err != nil || info.PID <= 0 {
		return 0, fmt.Errorf("admin getinfo: no pid in %.200s", raw)
	}
	return info.PID, nil
}

// HeapInuseMetric is the Go runtime's in-use heap in the Prometheus text.
const HeapInuseMetric = "go_memstats_heap_inuse_bytes"

// ScrapeMetric fetches http://addr/metrics and returns the value of the
// unlabelled metric name.
func ScrapeMetric(ctx context.Context, addr, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics: %s", resp.Status)
	}
	return findMetric(bufio.NewScanner(resp.Body), name)
}

// findMetric scans Prometheus text exposition for "name value".
func findMetric(sc *bufio.Scanner, name string) (float64, error) {
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, fmt.Errorf("metrics: %s: bad value %q", name, f[1])
			}
			return v, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	return 0, fmt.Errorf("metrics: %s not found", name)
}
