package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// setHint is the "(set key)" suffix of launch errors.
func setHint(spec Spec) string {
	if spec.ConfigKey == "" {
		return ""
	}
	return " (set " + spec.ConfigKey + ")"
}

// resolvePath finds the plugin binary.
func resolvePath(spec Spec) (string, error) {
	if spec.Path == "" {
		return "", fmt.Errorf("plugin %q: no binary path configured%s", spec.Name, setHint(spec))
	}
	if filepath.Base(spec.Path) == spec.Path {
		p, err := exec.LookPath(spec.Path)
		if err != nil {
			return "", fmt.Errorf("plugin %q: binary %q not found in PATH%s", spec.Name, spec.Path, setHint(spec))
		}
		return p, nil
	}
	fi, err := os.Stat(spec.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("plugin %q: binary not found at %s%s", spec.Name, spec.Path, setHint(spec))
	case err != nil:
		return "", fmt.Errorf("plugin %q: %w%s", spec.Name, err, setHint(spec))
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("plugin %q: %s is not an executable file%s", spec.Name, spec.Path, setHint(spec))
	}
	return spec.Path, nil
}

// secureConfig turns the sha256 pin into go-plugin's SecureConfig.
func secureConfig(spec Spec) (*plugin.SecureConfig, error) {
	if spec.SHA256 == "" {
		return nil, nil
	}
	sum, err := hex.DecodeString(strings.TrimSpace(spec.SHA256))
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("plugin %q: sha256 pin %q is not 64 hex digits", spec.Name, spec.SHA256)
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, nil
}

var pluginVersionRE = regexp.MustCompile(`Plugin version: (\S+)`)

// startError explains a go-plugin start failure (a refusal when retrying
// cannot help).
func startError(spec Spec, path string, err error, stderr string) error {
	msg := err.Error()
	var pathErr *fs.PathError
	withStderr := func(e error) error {
		if stderr == "" {
			return e
		}
		return fmt.Errorf("%w; plugin stderr: %s", e, stderr)
	}
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return refuse(fmt.Errorf("plugin %q: checksum mismatch: sha256 of %s is %s, the configuration pins %s (config key plugins.%s.sha256); refusing to start it",
			spec.Name, path, fileSHA256(path), strings.ToLower(strings.TrimSpace(spec.SHA256)), spec.Name))
	case strings.Contains(msg, "incompatible API version"):
		v := "unknown"
		if m := pluginVersionRE.FindStringSubmatch(msg); m != nil {
			v = strings.TrimRight(m[1], ",")
		}
		return refuse(fmt.Errorf("plugin %q: incompatible plugin protocol: the plugin speaks version %s, this host speaks version %d (SDK %s); rebuild the plugin (%s) against SDK %d.x or point %s at a matching build",
			spec.Name, v, sdk.ProtocolVersion, sdk.Version, path, sdk.ProtocolVersion, configKey(spec)))
	case strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("plugin %q: incompatible go-plugin core protocol (%s) (%w)", spec.Name, firstLine(msg), err)
	case strings.Contains(stderr, cookieRefusal):
		return refuse(cookieMismatch(spec, path, stderr))
	case strings.Contains(msg, "Failed to read any lines") || strings.Contains(msg, "exited before we could connect"):
		return withStderr(fmt.Errorf("plugin %q: %s exited before the handshake", spec.Name, path))
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		line := strings.TrimSpace(strings.TrimPrefix(firstLine(msg), "Unrecognized remote plugin message:"))
		return withStderr(fmt.Errorf("plugin %q wrote to stdout before the handshake (%q): stdout is reserved for the go-plugin handshake; the plugin must call sdk.Serve before printing anything",
			spec.Name, line))
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return withStderr(fmt.Errorf("plugin %q: no handshake within %s", spec.Name, spec.StartTimeout))
	case errors.As(err, &pathErr) && pathErr.Op == "fork/exec":
		return fmt.Errorf("plugin %q: cannot execute %s: %w%s", spec.Name, path, pathErr.Err, setHint(spec))
	case strings.Contains(msg, "unsupported plugin protocol"):
		return fmt.Errorf("plugin %q: %w (Amber plugins must serve gRPC through sdk.Serve)", spec.Name, err)
	}
	return withStderr(fmt.Errorf("plugin %q: start %s: %w", spec.Name, path, err))
}

// cookieRefusal starts what go-plugin prints, in the plugin, when the
// handshake's magic cookie in its environment is not the one it was built
// with.
const cookieRefusal = "This binary is a plugin"

// reportedCookieRE finds the cookie a plugin says it expects (the Python
// helper package and SDKs that report it print "expects KEY=VALUE").
var reportedCookieRE = regexp.MustCompile(`expects ([A-Za-z_][A-Za-z0-9_]*)=(\S+)`)

// cookieMismatch names a magic-cookie refusal as such, with amberd's cookie
// and the plugin's when it reported it, instead of go-plugin's text (which
// reads as if amberd had started the plugin wrongly).
func cookieMismatch(spec Spec, path, stderr string) error {
	theirs := "not reported by the plugin"
	if m := reportedCookieRE.FindStringSubmatch(stderr); m != nil {
		theirs = m[1] + "=" + m[2]
	}
	return fmt.Errorf("plugin %q: magic cookie mismatch: amberd sets %s=%s (hostside.Handshake), the plugin %s expects %s; "+
		"it was built with another go-plugin handshake: rebuild it with the Amber SDK (sdk.Serve) or point %s at an Amber plugin",
		spec.Name, hostside.MagicCookieKey, hostside.MagicCookieValue, path, theirs, configKey(spec))
}

// configKey is the config key that names the plugin's binary.
func configKey(spec Spec) string {
	if spec.ConfigKey != "" {
		return spec.ConfigKey
	}
	return "plugins." + spec.Name + ".path"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// fileSHA256 returns the hex sha256 of a file, or a note on why it could not.
func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}
