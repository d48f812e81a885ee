package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Service is one listening or advertised endpoint, ElectrumX style:
// proto://host:port. Host "" means all interfaces.
type Service struct {
	Proto string // tcp, ssl, ws, wss or rpc
	Host  string // host name or IP (IPv6 without brackets); "" = all interfaces
	Port  int
}

// Service protocols.
const (
	ProtoTCP = "tcp"
	ProtoSSL = "ssl"
	ProtoWS  = "ws"
	ProtoWSS = "wss"
	ProtoRPC = "rpc"
)

var knownProtos = map[string]bool{ProtoTCP: true, ProtoSSL: true, ProtoWS: true, ProtoWSS: true, ProtoRPC: true}

const (
	defaultRPCHost = "localhost"
	defaultRPCPort = 8000
)

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$`)

// Address returns host:port for net.Listen (IPv6 hosts bracketed).
func (s Service) Address() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// String returns the service in proto://host:port form.
func (s Service) String() string { return s.Proto + "://" + s.Address() }

// TLS reports whether the service needs a certificate.
func (s Service) TLS() bool { return s.Proto == ProtoSSL || s.Proto == ProtoWSS }

// ParseServices parses a SERVICES list: comma-separated proto://host:port
// entries. Empty host means all interfaces; rpc defaults to localhost:8000;
// other protocols need a port. IPv6 literals must be bracketed. Two services
// on one address are an error.
func ParseServices(list string) ([]Service, error) {
	return parseServiceList(list, true)
}

// ParseReportServices parses a REPORT_SERVICES list: like ParseServices but
// without defaults, so host and port are required.
func ParseReportServices(list string) ([]Service, error) {
	return parseServiceList(list, false)
}

func parseServiceList(list string, defaults bool) ([]Service, error) {
	var out []Service
	seen := map[string]string{}
	for _, item := range splitList(list) {
		s, err := parseService(item, defaults)
		if err != nil {
			return nil, fmt.Errorf("%q invalid: %w", item, err)
		}
		addr := s.Address()
		if prev, ok := seen[addr]; ok {
			return nil, fmt.Errorf("address %s has multiple services (%s, %s)", addr, prev, s.Proto)
		}
		seen[addr] = s.Proto
		out = append(out, s)
	}
	return out, nil
}

func parseService(item string, defaults bool) (Service, error) {
	proto, rest, ok := strings.Cut(item, "://")
	if !ok {
		return Service{}, fmt.Errorf("want proto://host:port")
	}
	proto = strings.ToLower(proto)
	if !knownProtos[proto] {
		return Service{}, fmt.Errorf("unknown protocol %q (want tcp, ssl, ws, wss or rpc)", proto)
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return Service{}, err
	}
	s := Service{Proto: proto, Host: host}
	if defaults && proto == ProtoRPC && host == "" {
		s.Host = defaultRPCHost
	}
	switch {
	case port != "":
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Service{}, fmt.Errorf("invalid port %q", port)
		}
		s.Port = n
	case defaults && proto == ProtoRPC:
		s.Port = defaultRPCPort
	default:
		return Service{}, fmt.Errorf("missing port")
	}
	if !defaults && s.Host == "" {
		return Service{}, fmt.Errorf("missing host")
	}
	return s, nil
}

// splitHostPort splits host[:port] or [ipv6][:port]; port may be empty.
func splitHostPort(s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", fmt.Errorf("missing ] in IPv6 address")
		}
		host, rest := s[1:end], s[end+1:]
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil || strings.Contains(host, "%") {
			return "", "", fmt.Errorf("invalid IPv6 address %q", host)
		}
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return "", "", fmt.Errorf("unexpected %q after IPv6 address", rest)
			}
			if p == "" {
				return "", "", fmt.Errorf("empty port")
			}
			port = p
		}
		return host, port, nil
	}
	switch strings.Count(s, ":") {
	case 0:
		host = s
	case 1:
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return "", "", fmt.Errorf("empty port")
		}
	default:
		return "", "", fmt.Errorf("IPv6 addresses must be in brackets: %q", s)
	}
	if host != "" && !hostnameRE.MatchString(host) {
		return "", "", fmt.Errorf("invalid host %q", host)
	}
	return host, port, nil
}
