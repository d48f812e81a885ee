package admin

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/amber-electrum/amber/core/internal/session"
)

// peerOut is PeerInfo as sent: an empty ip_addr is null.
type peerOut struct {
	PeerInfo
	IPAddr *string `json:"ip_addr"`
}

func (s *Server) peers(context.Context, *session.Session, []json.RawMessage) (any, error) {
	out := []peerOut{}
	if s.opts.Peers == nil {
		return out, nil
	}
	list := s.opts.Peers.Peers()
	// Non-bad peers first, then the most recently good first.
	sort.SliceStable(list, func(i, j int) bool {
		bi, bj := list[i].Status == "bad", list[j].Status == "bad"
		if bi != bj {
			return !bi
		}
		return list[i].LastGood > list[j].LastGood
	})
	for _, p := range list {
		o := peerOut{PeerInfo: p}
		if p.IPAddr != "" {
			ip := p.IPAddr
			o.IPAddr = &ip
		}
		if o.Features == nil {
			o.Features = map[string]any{}
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Server) addPeer(ctx context.Context, _ *session.Session, args []json.RawMessage) (any, error) {
	name, ok := optString(args[0])
	if !ok {
		return nil, badRequest("real_name must be a string, got %s", display(args[0]))
	}
	if s.opts.Peers == nil {
		s.log.Warn("add_peer: no peer manager, peer ignored", "real_name", name)
	} else if err := s.opts.Peers.AddPeer(ctx, name); err != nil {
		s.log.Warn("add_peer failed", "real_name", name, "err", err)
	}
	return "peer '" + name + "' added", nil
}
