package identity

import (
	"net/netip"
)

// Client is what identity knows about where a request came from. The address
// is used for rate limits and challenge difficulty, and is never stored: the
// history keeps Network and a keyed hash under a secret that rotates.
type Client struct {
	IP        netip.Addr
	UserAgent string
}

// Network returns the client address truncated to its /24 (IPv4) or /48
// (IPv6), or "" when there is no address.
func (c Client) Network() string {
	return truncate(c.IP, 24, 48)
}

// subscriber returns the part of the address that one subscriber controls:
// the address itself for IPv4, the /64 for IPv6, since a single home or
// phone is given a whole /64 and could otherwise rotate past a per-address
// limit at will.
func (c Client) subscriber() string {
	return truncate(c.IP, 32, 64)
}

func truncate(ip netip.Addr, v4, v6 int) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	bits := v6
	if ip.Is4() {
		bits = v4
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
