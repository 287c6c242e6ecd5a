package api

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

// Bounds on what a vote stores about the client's device.
const (
	maxUserAgent  = 256
	maxDeviceHint = 128
)

// clientOf describes the device and network a request came from. Gin's
// ClientIP believes forwarding headers only from the trusted proxies.
func clientOf(c *gin.Context) voting.Client {
	return voting.Client{
		Network:    network(c.ClientIP()),
		UserAgent:  clean(c.Request.UserAgent(), maxUserAgent),
		DeviceHint: clean(c.GetHeader("X-Device-Hint"), maxDeviceHint),
	}
}

// network truncates an address to its /24 (IPv4) or /48 (IPv6) network, so a
// vote stores where it came from closely enough to spot a farm of voters but
// never the voter's own address. An IPv4 address written as IPv6 counts as
// IPv4. It returns "" for anything that is not an address.
func network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// clean makes a header value safe to store: valid UTF-8 without control
// characters, cut to at most max bytes on a character boundary. PostgreSQL
// text refuses NUL bytes and invalid UTF-8, and one such vote would stall the
// flush batch it travels in.
func clean(s string, max int) string {
	if len(s) <= max && printableASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for _, r := range s {
		// Ranging over a string yields utf8.RuneError for each invalid byte,
		// which is written as the valid replacement character.
		if unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
