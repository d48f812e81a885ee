package server

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// reloadOnHUP re-reads the banner files on SIGHUP until ctx ends (issue 11
// #7: the banner is read at start and on SIGHUP, never per request).
func (s *Server) reloadOnHUP(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				if s.el != nil {
					s.el.ReloadBanner()
					s.log.Info("SIGHUP: banner files reloaded")
				}
			case <-ctx.Done():
				return
			}
		}
	}()
}
