package refplugin

import (
	"net"
	"net/netip"
	"strings"
)

// hostname returns the host part of "host:port", "[v6]:port" or a bare name
// or IP, lowercased and without a trailing dot, because GOST sends both forms
// depending on the call site and DNS names are case-insensitive.
func hostname(s string) string {
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	return normName(s)
}

// normName lowercases a DNS name and drops a trailing dot.
func normName(s string) string {
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

// hostIP parses the host part of addr as an IP. Zones are dropped and
// IPv4-mapped IPv6 addresses unmapped so prefix checks see the real address.
func hostIP(addr string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(hostname(addr))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.WithZone("").Unmap(), true
}
