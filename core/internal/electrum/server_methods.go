package electrum

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"

	"github.com/amber-electrum/amber/core/pyfmt"
)

// serverVersion is upstream's server_version (session.py): once per
// session; a client name (any truthy value, as Python's str()) is checked
// against DROP_CLIENT and kept truncated to 17 characters; the protocol
// version is negotiated with Negotiate's numeric rule. An unsupported
// version closes the session, after the old-client notifications when the
// client calls itself Electrum 3.2.3 or older (CRASH_CLIENT_VER).
func serverVersion(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	c.h.mu.Lock()
	seen := c.h.versionSeen
	c.h.versionSeen = true
	c.h.mu.Unlock()
	if seen {
		return nil, badRequest("server.version already sent")
	}
	client := "unknown"
	if raw := c.args[0]; raw != nil && pyTruthy(raw) {
		name := pyfmt.Str(raw)
		if re := c.srv.opts.DropClient; re != nil {
			if loc := re.FindStringIndex(name); loc != nil && loc[0] == 0 {
				c.s.CloseAfterReply()
				return nil, badRequest("unsupported client: %s", name)
			}
		}
		if r := []rune(name); len(r) > 17 {
			name = string(r[:17])
		}
		client = name
		c.h.mu.Lock()
		c.h.client = name
		c.h.mu.Unlock()
	}
	v, _ := Negotiate(c.args[1], ProtocolMin, ProtocolMax)
	if v == nil {
		if cv := ParseVersion(client); cv.Compare(Version{0}) != 0 && cv.Compare(crashClientVer) <= 0 {
			crashOldClient(c.s)
		}
		c.s.CloseAfterReply()
		return nil, badRequest("unsupported protocol version: %s", pyfmt.Str(c.args[1]))
	}
	c.h.mu.Lock()
	c.h.table = tableFor(v)
	c.h.protocol, c.h.protoName = v, v.String()
	c.h.mu.Unlock()
	return []string{c.srv.opts.ServerVersion, v.String()}, nil
}

// crashClientVer is Bitcoin's CRASH_CLIENT_VER (lib/coins.py).
var crashClientVer = Version{3, 2, 3}

// shortVersion is the last word of "Amber 0.1.0".
func shortVersion(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

func serverDonationAddress(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	return c.srv.opts.Banner.DonationAddress, nil
}

type features struct {
	Hosts         map[string]map[string]int `json:"hosts"`
	Pruning       *int                      `json:"pruning"`
	ServerVersion string                    `json:"server_version"`
	ProtocolMin   string                    `json:"protocol_min"`
	ProtocolMax   string                    `json:"protocol_max"`
	GenesisHash   string                    `json:"genesis_hash"`
	HashFunction  string                    `json:"hash_function"`
	Services      []string                  `json:"services"`
}

// Features returns the server.features result (also what server.add_peer
// would send to other servers).
func (srv *Server) Features() any {
	f := features{
		Hosts:         map[string]map[string]int{},
		ServerVersion: srv.opts.ServerVersion,
		ProtocolMin:   ProtocolMin.String(),
		ProtocolMax:   ProtocolMax.String(),
		GenesisHash:   srv.opts.Genesis.String(),
		HashFunction:  "sha256",
		Services:      []string{},
	}
	for _, svc := range srv.opts.ReportServices {
		ports := f.Hosts[svc.Host]
		if ports == nil {
			ports = map[string]int{}
			f.Hosts[svc.Host] = ports
		}
		ports[svc.Proto+"_port"] = svc.Port // a later service of one protocol wins
		f.Services = append(f.Services, svc.Proto+"://"+net.JoinHostPort(svc.Host, strconv.Itoa(svc.Port)))
	}
	return f
}

func serverFeatures(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	return c.srv.Features(), nil
}

// serverPeersSubscribe returns Options.Peers' list; without peer discovery
// (nil Peers) an empty list.
func serverPeersSubscribe(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	if c.srv.opts.Peers == nil {
		return []any{}, nil
	}
	peers := c.srv.peersFor(c.s)
	if peers == nil {
		return []any{}, nil
	}
	return peers, nil
}

// serverAddPeer hands the caller's features to Options.Peers. Without peer
// discovery, or when features is not a JSON object, the answer is false.
func serverAddPeer(ctx context.Context, c *call) (any, error) {
	c.charge(units{})
	var features map[string]any
	if c.srv.opts.Peers == nil || len(c.args[0]) == 0 || c.args[0][0] != '{' ||
		json.Unmarshal(c.args[0], &features) != nil {
		return false, nil
	}
	return c.srv.opts.Peers.AddPeer(ctx, features, c.s.RemoteAddr()), nil
}

func serverPing(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	return nil, nil
}
