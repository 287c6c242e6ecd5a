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

// clientAddr is the address a request came from: the TCP peer, or, when the
// peer is a trusted proxy, the nearest untrusted address of X-Forwarded-For
// read from the right (Gin's ClientIP, which the server configures to read
// that header only). It is the zero Addr when there is none.
func clientAddr(c *gin.Context) netip.Addr {
	a, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// clientOf describes the device and network a request came from ip.
func clientOf(c *gin.Context, ip netip.Addr) voting.Client {
	return voting.Client{
		Network:    networkOf(ip),
		UserAgent:  clean(c.Request.UserAgent(), maxUserAgent),
		DeviceHint: clean(c.GetHeader("X-Device-Hint"), maxDeviceHint),
	}
}

// network truncates an address to its /24 (IPv4) or /48 (IPv6) network, so a
// vote stores where it came from closely enough to spot a farm of voters but
// never the voter's own address. An IPv4 address written as IPv6 counts as
// IPv4. It returns "" for anything that is not an address.
func networkOf(a netip.Addr) string {
	if !a.IsValid() {
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
	// Appending to a buffer on the stack makes one string where
	// Prefix.String makes two; the text is the same.
	var buf [len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")]byte
	return string(p.AppendTo(buf[:0]))
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
