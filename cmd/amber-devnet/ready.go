package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/amber-electrum/amber/core/regtest"
)

// ready is what the devnet prints once amberd serves.
type ready struct {
	bin      string
	services []service
	node     *regtest.Node
	daemon   daemonAddr
	info     *regtest.ChainInfo
	runCfg   string

	wallets []wallet
	methods []pluginMethod
}

// wallet is one funded test script.
type wallet struct {
	Type, Address, ScriptHash, Import string
	Confirmed, Unconfirmed            int64 // satoshis, from amberd (-1: unknown)
}

// pluginMethod is one method of a loaded plugin (admin plugins).
type pluginMethod struct {
	Plugin  string
	Name    string   `json:"name"`
	MinArgs int      `json:"min_args"`
	MaxArgs int      `json:"max_args"`
	Params  []string `json:"params"`
}

// maxWallets bounds the funded wallets printed.
const maxWallets = 4

func (r *ready) first(proto string) (service, bool) {
	for _, s := range r.services {
		if s.Proto == proto {
			return s, true
		}
	}
	return service{}, false
}

// gather collects the wallets (with balances asked from amberd) and the
// plugin methods (admin plugins); what cannot be had is left out.
func (r *ready) gather(ctx context.Context, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tcp, hasTCP := r.first("tcp")
	// Every used script with its balance; those with coins left first.
	var funded, empty []wallet
	for _, s := range r.info.UsedScripts() {
		if s == r.info.Mining {
			continue
		}
		imp, err := s.Key.ElectrumImport(s.Type)
		if err != nil {
			continue
		}
		w := wallet{Type: s.Type.String(), Address: s.Address, ScriptHash: s.ScriptHash().String(), Import: imp,
			Confirmed: -1, Unconfirmed: -1}
		if hasTCP {
			var bal struct{ Confirmed, Unconfirmed int64 }
			if err := call(ctx, tcp.Addr(), "blockchain.scripthash.get_balance", []any{w.ScriptHash}, &bal); err == nil {
				w.Confirmed, w.Unconfirmed = bal.Confirmed, bal.Unconfirmed
			} else {
				log.Warn("get_balance", "err", err)
			}
		}
		if w.Confirmed+w.Unconfirmed > 0 || w.Confirmed < 0 {
			funded = append(funded, w)
		} else {
			empty = append(empty, w)
		}
	}
	r.wallets = append(funded, empty...)
	r.wallets = r.wallets[:min(len(r.wallets), maxWallets)]
	if rpc, ok := r.first("rpc"); ok {
		var plugins []struct {
			Name    string         `json:"name"`
			Methods []pluginMethod `json:"methods"`
		}
		if err := call(ctx, rpc.Addr(), "plugins", map[string]any{}, &plugins); err != nil {
			log.Warn("admin plugins", "err", err)
		}
		for _, p := range plugins {
			for _, m := range p.Methods {
				m.Plugin = p.Name
				r.methods = append(r.methods, m)
			}
		}
	}
}

// call sends one JSON-RPC request on a fresh connection and decodes the
// result into out.
func call(ctx context.Context, addr, method string, params, out any) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	// server.version first: amberd refuses anything before it.
	ver, err := json.Marshal(versionRequest)
	if err != nil {
		return err
	}
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	r := bufio.NewReader(c)
	if _, err := c.Write(append(ver, '\n')); err != nil {
		return err
	}
	if _, err := r.ReadBytes('\n'); err != nil { // the server.version answer
		return err
	}
	if _, err := c.Write(append(req, '\n')); err != nil {
		return err
	}
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return fmt.Errorf("%s: bad reply %q: %w", method, line, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: error %d %s", method, resp.Error.Code, resp.Error.Message)
	}
	return json.Unmarshal(resp.Result, out)
}

// exampleParams fills a method's required parameters (and by-name
// parameters up to the required count) with values that work on the
// devnet: the first funded script hash, a confirmed txid, the tip height.
func (r *ready) exampleParams(m pluginMethod) []any {
	n := max(m.MinArgs, 0)
	out := make([]any, 0, n)
	for i := range n {
		name := ""
		if i < len(m.Params) {
			name = strings.ToLower(m.Params[i])
		}
		out = append(out, r.sample(name, i))
	}
	return out
}

func (r *ready) sample(name string, i int) any {
	switch {
	case strings.Contains(name, "scripthash") || strings.Contains(name, "script_hash"):
		if len(r.wallets) > 0 {
			return r.wallets[0].ScriptHash
		}
	case strings.Contains(name, "txid") || strings.Contains(name, "tx_hash"):
		if len(r.info.Confirmed) > 0 {
			return r.info.Confirmed[0].String()
		}
	case strings.Contains(name, "height"):
		return r.info.Height
	case name == "number" || strings.Contains(name, "blocks") || strings.Contains(name, "target") || name == "count":
		return 6
	case name == "limit":
		return 10
	case name == "address":
		if len(r.wallets) > 0 {
			return r.wallets[0].Address
		}
	}
	if name == "" {
		return fmt.Sprintf("arg%d", i+1)
	}
	return "amber"
}

func (r *ready) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	var listen []string
	for _, s := range r.services {
		if s.Proto != "rpc" {
			listen = append(listen, s.Proto+" "+s.Addr())
		}
	}
	p("")
	p("=== Amber devnet is up: Electrum server on %s ===", strings.Join(listen, ", "))
	p("")
	for _, s := range r.services {
		label := "electrum " + s.Proto
		if s.Proto == "rpc" {
			label = "admin rpc"
		}
		p("  %-13s %s", label, s.Addr())
	}
	p("  %-13s %s (user %s, password %s)", "btcd rpc", r.node.HostPort(), r.daemon.User, r.daemon.Pass)
	p("  %-13s %s", "amberd config", r.runCfg)
	p("  %-13s height %d, %d transactions, %d in the mempool", "chain", r.info.Height, len(r.info.Confirmed), len(r.info.Mempool))
	p("")
	p("Funded test wallets (restore a key in Electrum; script hashes for blockchain.scripthash.* calls):")
	for _, wl := range r.wallets {
		bal := ""
		if wl.Confirmed >= 0 {
			bal = fmt.Sprintf("  balance %d sat confirmed, %d unconfirmed", wl.Confirmed, wl.Unconfirmed)
		}
		p("  %-11s address    %s%s", wl.Type, wl.Address, bal)
		p("              scripthash %s", wl.ScriptHash)
		p("              key        %s", wl.Import)
	}
	ctl := filepath.Join(r.bin, "amberctl")
	if tcp, ok := r.first("tcp"); ok {
		server := tcp.Addr() + ":t"
		p("")
		p("Point Electrum 4.x at it:")
		p("  EH=$(mktemp -d); mkdir -p $EH/regtest/wallets")
		if len(r.wallets) > 0 {
			p("  electrum --regtest -D $EH restore %q -w $EH/regtest/wallets/w1 --offline", r.wallets[0].Import)
		}
		p("  electrum --regtest -D $EH daemon -d -1 -s %s", server)
		p("  electrum --regtest -D $EH load_wallet -w $EH/regtest/wallets/w1")
		p("  electrum --regtest -D $EH getbalance -w $EH/regtest/wallets/w1")
		p("(or the GUI: electrum --regtest --oneserver --server %s)", server)
		if len(r.wallets) > 0 {
			p("")
			p("Ask amberd directly:")
			p("  %s", ncLine(tcp.Addr(), "blockchain.scripthash.get_balance", []any{r.wallets[0].ScriptHash}))
		}
		if len(r.methods) > 0 {
			p("")
			p("Plugin methods (one example call each):")
			for _, m := range r.methods {
				p("  %s (plugin %s):", m.Name, m.Plugin)
				p("    %s", ncLine(tcp.Addr(), m.Name, r.exampleParams(m)))
			}
		}
	}
	p("")
	p("Mine a block:")
	p("  btcctl --regtest --notls -s %s -u %s -P %s generate 1", r.node.HostPort(), r.daemon.User, r.daemon.Pass)
	if rpc, ok := r.first("rpc"); ok {
		_, port, _ := net.SplitHostPort(rpc.Addr())
		p("Admin:")
		p("  %s -p %s getinfo", ctl, port)
		p("  %s -p %s plugins", ctl, port)
	}
	p("")
	p("Ctrl-C stops amberd and btcd.")
}

// versionRequest is the server.version request the examples send first:
// amberd, like ElectrumX 1.19+, refuses any other request before it.
var versionRequest = map[string]any{"jsonrpc": "2.0", "id": 0, "method": "server.version", "params": []any{"devnet", "1.4"}}

// ncLine is a shell line that sends server.version and one request with
// nc and prints both answers. The input stays open for a second after the
// requests (the sleep) and nc quits at its end: amberd, like ElectrumX,
// takes the end of a client's input as the end of the connection and
// cancels what is still running, so the answers must come before it.
func ncLine(addr, method string, params []any) string {
	if params == nil {
		params = []any{}
	}
	ver, _ := json.Marshal(versionRequest)
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("(printf '%%s\\n' '%s' '%s'; sleep 1) | nc -q 0 %s %s", ver, req, host, port)
}
