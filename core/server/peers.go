package server

import (
	"context"
	"net"
	"strconv"

	"github.com/amber-electrum/amber/core/internal/admin"
	"github.com/amber-electrum/amber/core/internal/peers"
)

// peersOptions configures peer discovery from the config.
func (s *Server) peersOptions() peers.Options {
	cfg := s.cfg
	tor := cfg.TorProxyHost
	if tor != "" && cfg.TorProxyPort != 0 {
		tor = net.JoinHostPort(tor, strconv.Itoa(cfg.TorProxyPort))
	}
	blacklist := cfg.BlacklistURL
	if blacklist == "" {
		blacklist = cfg.Network.BlacklistURL
	}
	return peers.Options{
		Mode:     cfg.PeerDiscovery,
		Seeds:    cfg.PeerSeeds,
		Announce: cfg.PeerAnnounce,
		// s.el exists by the time Run calls this.
		OurFeatures:  func() map[string]any { return peers.FeaturesMap(s.el.Features()) },
		Genesis:      cfg.Network.GenesisHash,
		Index:        s.ix,
		AllowPrivate: cfg.PeerAllowPrivate,
		TorProxy:     tor,
		ForceProxy:   cfg.ForceProxy,
		BlacklistURL: blacklist,
		DefaultPorts: peers.DefaultPorts{TCP: cfg.Network.TCPPort, SSL: cfg.Network.SSLPort},
		Logger:       s.log,
	}
}

// adminPeers adapts the peer manager to the admin RPC.
type adminPeers struct{ m *peers.Manager }

func (a adminPeers) Peers() []admin.PeerInfo {
	list := a.m.Peers()
	out := make([]admin.PeerInfo, len(list))
	for i, p := range list {
		out[i] = admin.PeerInfo{Host: p.Host, Features: p.Features, Source: p.Source, IPAddr: p.IPAddr,
			LastGood: p.LastGood, LastTry: p.LastTry, TryCount: p.TryCount, Status: p.Status, Reason: p.Reason}
	}
	return out
}

func (a adminPeers) AddPeer(_ context.Context, realName string) error {
	a.m.AddAdminPeer(realName)
	return nil
}
