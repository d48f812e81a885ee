package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/amber-electrum/amber/core/pyfmt"
)

// Column formats of electrumx_rpc's tables (docs/protocol.md, Admin RPC); '<' left
// and '>' right aligned, then the width. groups has no space between Subs
// and Recv, as upstream.
var (
	sessionsFmt = []string{"<6", " <5", " >17", " >5", " >7", " >7", " >5", " >5", " >7", " >7", " >7", " >7", " >7", " >9", " >21"}
	groupsFmt   = []string{"<14", " >9", " >8", " >8", " >6", " >6", " >8", ">7", " >9", " >7", " >9"}
	peersFmt    = []string{"<62", " <6", " >5", " >5", " <17", " >4", " >4", " >8", " >11", " >11", " >5", " >20", " <15"}
)

// formatRow pads each cell as Python's str.format with "{:<N}"/"{:>N}"
// (by characters; longer cells are not cut).
func formatRow(specs []string, cells []string) string {
	var b strings.Builder
	for i, spec := range specs {
		if spec[0] == ' ' {
			b.WriteByte(' ')
			spec = spec[1:]
		}
		w, _ := strconv.Atoi(spec[1:])
		pad := strings.Repeat(" ", max(0, w-utf8.RuneCountInString(cells[i])))
		if spec[0] == '<' {
			b.WriteString(cells[i] + pad)
		} else {
			b.WriteString(pad + cells[i])
		}
	}
	return b.String()
}

// num returns a JSON number as int64, truncating fractions like Python's
// int(); anything else is 0.
func num(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return int64(f)
}

// str renders a cell value: strings as they are, numbers as sent, null as "".
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return ""
}

func rows(v any, width int) ([][]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	out := make([][]any, len(list))
	for i, r := range list {
		row, ok := r.([]any)
		if !ok || len(row) != width {
			return nil, fmt.Errorf("row %d is not a list of %d items", i, width)
		}
		out[i] = row
	}
	return out, nil
}

func sessionsLines(v any) ([]string, error) {
	rs, err := rows(v, 15)
	if err != nil {
		return nil, err
	}
	lines := []string{formatRow(sessionsFmt, []string{"ID", "Flags", "Client", "Proto", "Cost", "XCost",
		"Reqs", "Txs", "Subs", "Recv", "Recv KB", "Sent", "Sent KB", "Time", "Peer"})}
	for _, r := range rs {
		// id, flags, peer, client, proto, cost, extra_cost, reqs, txs_sent,
		// subs, recv_count, recv_size, send_count, send_size, conn_time
		lines = append(lines, formatRow(sessionsFmt, []string{
			str(r[0]), str(r[1]), str(r[3]), str(r[4]),
			pyfmt.Thousands(num(r[5])), pyfmt.Thousands(num(r[6])), pyfmt.Thousands(num(r[7])), pyfmt.Thousands(num(r[8])),
			pyfmt.Thousands(num(r[9])), pyfmt.Thousands(num(r[10])), pyfmt.Thousands(num(r[11]) / 1024),
			pyfmt.Thousands(num(r[12])), pyfmt.Thousands(num(r[13]) / 1024),
			pyfmt.Duration(time.Duration(num(r[14]))*time.Second, ""), str(r[2]),
		}))
	}
	return lines, nil
}

func groupsLines(v any) ([]string, error) {
	rs, err := rows(v, 11)
	if err != nil {
		return nil, err
	}
	lines := []string{formatRow(groupsFmt, []string{"Name", "Sessions", "Cost", "Retained", "Reqs", "Txs",
		"Subs", "Recv", "Recv KB", "Sent", "Sent KB"})}
	for _, r := range rs {
		// name, session_count, cost, retained_cost, reqs, txs_sent, subs,
		// recv_count, recv_size, send_count, send_size
		lines = append(lines, formatRow(groupsFmt, []string{
			str(r[0]), pyfmt.Thousands(num(r[1])), pyfmt.Thousands(num(r[2])), pyfmt.Thousands(num(r[3])),
			pyfmt.Thousands(num(r[4])), pyfmt.Thousands(num(r[5])), pyfmt.Thousands(num(r[6])), pyfmt.Thousands(num(r[7])),
			pyfmt.Thousands(num(r[8]) / 1024), pyfmt.Thousands(num(r[9])), pyfmt.Thousands(num(r[10]) / 1024),
		}))
	}
	return lines, nil
}

func peersLines(v any, now time.Time) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	ago := func(t any) string {
		if num(t) == 0 {
			return "Never"
		}
		return pyfmt.Duration(time.Duration(now.Unix()-num(t))*time.Second, " ")
	}
	orBlank := func(v any) string {
		if num(v) == 0 && str(v) == "0" {
			return ""
		}
		return str(v)
	}
	lines := []string{formatRow(peersFmt, []string{"Host", "Status", "TCP", "SSL", "Server", "Min", "Max",
		"Pruning", "Last Good", "Last Try", "Tries", "Source", "IP Address"})}
	for i, p := range list {
		item, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("peer %d is not an object", i)
		}
		name := str(item["host"])
		features, _ := item["features"].(map[string]any)
		hosts, _ := features["hosts"].(map[string]any)
		host, _ := hosts[name].(map[string]any)
		server := str(features["server_version"])
		if server == "" {
			server = "unknown"
		}
		lines = append(lines, formatRow(peersFmt, []string{
			truncate(name, 62), str(item["status"]), orBlank(host["tcp_port"]), orBlank(host["ssl_port"]),
			server, str(features["protocol_min"]), str(features["protocol_max"]), orBlank(features["pruning"]),
			ago(item["last_good"]), ago(item["last_try"]), str(item["try_count"]),
			truncate(str(item["source"]), 20), str(item["ip_addr"]),
		}))
	}
	return lines, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
