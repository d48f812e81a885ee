package electrum

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// MaxBannerBytes caps a banner file: a larger file is refused (logged) and
// the default banner served, so one mistaken path cannot put megabytes in
// every server.banner reply.
const MaxBannerBytes = 64 << 10

// banners holds the banner texts as last loaded; ok is false when no file
// is configured or it could not be read (the default text is served).
type banners struct {
	plain, tor     string
	plainOK, torOK bool
}

// ReloadBanner reads BANNER_FILE and TOR_BANNER_FILE (which defaults to
// BANNER_FILE) again. New calls it; amberd calls it on SIGHUP. A file that
// cannot be read, is not UTF-8 or is over MaxBannerBytes is logged and the
// default banner is served instead, as upstream does for an unreadable
// file.
func (srv *Server) ReloadBanner() {
	b := &banners{}
	b.plain, b.plainOK = srv.readBanner(srv.opts.Banner.File)
	torFile := srv.opts.Banner.TorFile
	if torFile == "" {
		torFile = srv.opts.Banner.File
	}
	b.tor, b.torOK = srv.readBanner(torFile)
	srv.banner.Store(b)
}

func (srv *Server) readBanner(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	err := func() error {
		f, err := srv.opts.Banner.Fs.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		raw, err := io.ReadAll(io.LimitReader(f, MaxBannerBytes+1))
		switch {
		case err != nil:
			return err
		case len(raw) > MaxBannerBytes:
			return fmt.Errorf("larger than %d bytes", MaxBannerBytes)
		case !utf8.Valid(raw):
			return errors.New("not UTF-8")
		}
		name = string(raw) // reuse: the text on success
		return nil
	}()
	if err != nil {
		srv.log.Error("reading banner file", "file", name, "err", err)
		return "", false
	}
	return name, true
}

// isTor is upstream's is_tor (session.py): the session's remote host equals
// the detected Tor proxy's host. As upstream compares an IP address with
// the proxy's host, a proxy given by name (TOR_PROXY_HOST=localhost) never
// matches; only an IP literal does.
func (srv *Server) isTor(s Sess) bool {
	pa, ok := srv.opts.Peers.(interface{ ProxyAddress() string })
	if !ok || s.RemoteAddr() == nil {
		return false
	}
	host, _, err := net.SplitHostPort(pa.ProxyAddress())
	if err != nil {
		return false
	}
	proxyIP, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	remote, err := netip.ParseAddrPort(s.RemoteAddr().String())
	return err == nil && remote.Addr().Unmap() == proxyIP.Unmap()
}

// serverBanner is upstream's banner (session.py): the Tor banner for Tor
// sessions, the banner otherwise, with $SERVER_VERSION,
// $SERVER_SUBVERSION, $DAEMON_VERSION, $DAEMON_SUBVERSION and
// $DONATION_ADDRESS replaced; without a banner file the default sentence.
func serverBanner(ctx context.Context, c *call) (any, error) {
	c.charge(units{})
	srv := c.srv
	b := srv.banner.Load()
	text, ok := b.plain, b.plainOK
	if srv.isTor(c.s) {
		text, ok = b.tor, b.torOK
	}
	if !ok {
		return fmt.Sprintf("You are connected to an %s server.", srv.opts.ServerVersion), nil
	}
	repl := []string{
		"$SERVER_VERSION", shortVersion(srv.opts.ServerVersion),
		"$SERVER_SUBVERSION", srv.opts.ServerVersion,
		"$DONATION_ADDRESS", srv.opts.Banner.DonationAddress,
	}
	if strings.Contains(text, "$DAEMON_") {
		dctx, cancel := srv.daemonCtx(ctx)
		info, err := srv.daemon.DaemonInfo(dctx)
		cancel()
		if err != nil {
			return nil, daemonError(err)
		}
		repl = append(repl,
			"$DAEMON_VERSION", daemonVersion(info.Version),
			"$DAEMON_SUBVERSION", info.Subversion)
	}
	return strings.NewReplacer(repl...).Replace(text), nil
}

// daemonVersion is upstream's getnetworkinfo version formula (session.py
// replaced_banner): 260100 → "26.1.0".
func daemonVersion(v int64) string {
	return fmt.Sprintf("%d.%d.%d", v/10_000, (v%10_000)/100, v%100)
}

// peersFor returns the server.peers.subscribe list for session s: up to 50
// onion peers for a Tor session (upstream on_peers_subscribe(is_tor)).
func (srv *Server) peersFor(s Sess) [][]any {
	if pf, ok := srv.opts.Peers.(interface{ PeersSubscribeFor(bool) [][]any }); ok {
		return pf.PeersSubscribeFor(srv.isTor(s))
	}
	return srv.opts.Peers.PeersSubscribe()
}
