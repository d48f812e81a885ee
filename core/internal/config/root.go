package config

import "errors"

// ErrRoot is returned by CheckRoot when amberd would run as root without
// allow_root.
var ErrRoot = errors.New("refusing to run as root: run amberd as an unprivileged user " +
	"(configs/amberd.service does), or set ALLOW_ROOT to a non-empty value (or allow_root: true, " +
	"AMBER_ALLOW_ROOT, --allow-root) to run as root anyway")

// CheckRoot refuses an effective user id of 0 unless allow_root is on, as
// ElectrumX does. allow_root is one key with the usual sources: the config
// file, AMBER_ALLOW_ROOT, --allow-root, and ElectrumX's ALLOW_ROOT, which
// like ElectrumX counts any non-empty value (even "0") as on. euid is
// os.Geteuid() in amberd and injected in tests.
func CheckRoot(c *Config, euid int) error {
	if euid == 0 && !c.AllowRoot {
		return ErrRoot
	}
	return nil
}
