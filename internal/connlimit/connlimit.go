// Package connlimit caps how many connections a listener holds open at once,
// overall and per client address. A connection beyond a cap is accepted,
// answered with a minimal HTTP/1.1 503 whose JSON body has the code
// too_many_connections, and closed; the answer is written apart from Accept,
// so a flood of refused clients never holds up the ones within the caps.
package connlimit

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Cap names the cap that refused a connection.
type Cap string

const (
	// Overall is the cap on every connection the listener holds.
	Overall Cap = "overall"
	// PerAddress is the cap on the connections of one client address.
	PerAddress Cap = "address"
)

// Options are the caps of a Listener.
type Options struct {
	// Max is the most connections open at once; zero means no overall cap.
	Max int
	// PerAddr is the most connections open at once from one client address
	// (the peer's IP; an IPv6 client's /64, the smallest network one
	// subscriber is given); zero means no cap. Behind a reverse proxy every
	// connection comes from the proxy, so either PerAddr allows for all of
	// the proxy's connections or the proxy's network is in Exempt.
	PerAddr int
	// Exempt are client networks the per-address cap does not apply to;
	// their connections still count towards Max.
	Exempt []netip.Prefix
	// RetryAfter is the refusal's Retry-After, in whole seconds (1 s when
	// zero or less).
	RetryAfter time.Duration
	// Linger bounds how long a refused connection is kept open: to wait
	// for the client's request (at most half of it), since an HTTP client
	// may discard an answer that comes before it has sent its request; to
	// write the answer; and to read the rest of what the client sends, so
	// that closing does not reset the connection before the client has
	// read the answer (1 s when zero).
	Linger time.Duration
	// Refused, when set, is called for each refused connection with the cap
	// that refused it. It must not block.
	Refused func(Cap)
}

// maxLingering bounds the refused connections kept open at once to answer
// them cleanly. Past it a refusal is written and the connection closed at
// once, which may reset it before the client reads the answer; either way a
// flood of refusals holds at most this many descriptors and goroutines, for
// at most Options.Linger each.
const maxLingering = 1024

// drainLimit is the most a lingering refusal reads of what the client sent.
const drainLimit = 64 << 10

// inlineWrite bounds a refusal written by Accept itself, past maxLingering.
// The write fits in the new connection's send buffer and returns at once;
// the deadline is only a guard.
const inlineWrite = 50 * time.Millisecond

// Listener is a net.Listener that holds at most the connections its Options
// allow. Its methods are safe for concurrent use.
type Listener struct {
	net.Listener
	o         Options
	answers   map[Cap][]byte
	lingering chan struct{}

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
}

// New returns ln with the caps of o.
func New(ln net.Listener, o Options) *Listener {
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.Linger <= 0 {
		o.Linger = time.Second
	}
	retry := int((o.RetryAfter + time.Second - 1) / time.Second)
	return &Listener{
		Listener: ln,
		o:        o,
		answers: map[Cap][]byte{
			Overall:    answer(retry, "the server holds as many connections as it can; retry later"),
			PerAddress: answer(retry, "too many connections from this address; close some or retry later"),
		},
		lingering: make(chan struct{}, maxLingering),
		byAddr:    map[netip.Addr]int{},
	}
}

// answer is the complete HTTP response of a refusal.
func answer(retryAfter int, message string) []byte {
	body := fmt.Sprintf(`{"error":{"code":"too_many_connections","message":%q}}`, message)
	return []byte(fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\n"+
		"Content-Type: application/json; charset=utf-8\r\n"+
		"Content-Length: %d\r\n"+
		"Retry-After: %d\r\n"+
		"Connection: close\r\n"+
		"\r\n%s", len(body), retryAfter, body))
}

// Accept returns the next connection within the caps. Connections beyond
// them are refused without waiting for the refusal to be written.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, perAddr := l.key(c.RemoteAddr())
		if refused := l.acquire(key, perAddr); refused != "" {
			l.refuse(c, refused)
			continue
		}
		return &conn{Conn: c, l: l, key: key, perAddr: perAddr}, nil
	}
}

// Open returns how many accepted connections are not yet closed.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// key returns the per-address key of a peer, and whether the per-address
// cap applies to it.
func (l *Listener) key(peer net.Addr) (netip.Addr, bool) {
	if l.o.PerAddr <= 0 {
		return netip.Addr{}, false
	}
	tcp, ok := peer.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	addr := tcp.AddrPort().Addr().Unmap()
	if !addr.IsValid() {
		return netip.Addr{}, false
	}
	for _, p := range l.o.Exempt {
		if p.Contains(addr) {
			return netip.Addr{}, false
		}
	}
	if addr.Is6() {
		addr = netip.PrefixFrom(addr, 64).Masked().Addr()
	}
	return addr, true
}

// acquire takes a place for a connection, or returns the cap that refuses it.
func (l *Listener) acquire(key netip.Addr, perAddr bool) Cap {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.o.Max > 0 && l.open >= l.o.Max {
		return Overall
	}
	if perAddr {
		if l.byAddr[key] >= l.o.PerAddr {
			return PerAddress
		}
		l.byAddr[key]++
	}
	l.open++
	return ""
}

func (l *Listener) release(key netip.Addr, perAddr bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if perAddr {
		if n := l.byAddr[key] - 1; n > 0 {
			l.byAddr[key] = n
		} else {
			delete(l.byAddr, key)
		}
	}
}

// refuse answers c with the refusal of cap and closes it. While fewer than
// maxLingering refusals are under way it does so in a goroutine that waits
// for the client's first bytes, answers, half closes the connection and
// reads what the client sends until the client closes or Linger passes;
// otherwise it writes and closes at once.
func (l *Listener) refuse(c net.Conn, refused Cap) {
	if l.o.Refused != nil {
		l.o.Refused(refused)
	}
	select {
	case l.lingering <- struct{}{}:
		go func() {
			defer func() { <-l.lingering }()
			var first [512]byte
			_ = c.SetDeadline(time.Now().Add(l.o.Linger / 2))
			_, _ = c.Read(first[:])
			_ = c.SetDeadline(time.Now().Add(l.o.Linger / 2))
			if _, err := c.Write(l.answers[refused]); err == nil {
				if cw, ok := c.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				}
				_, _ = io.CopyN(io.Discard, c, drainLimit)
			}
			_ = c.Close()
		}()
	default:
		_ = c.SetWriteDeadline(time.Now().Add(inlineWrite))
		_, _ = c.Write(l.answers[refused])
		_ = c.Close()
	}
}

// conn gives its place back when it is first closed.
type conn struct {
	net.Conn
	l       *Listener
	key     netip.Addr
	perAddr bool
	once    sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key, c.perAddr) })
	return err
}

// CloseWrite half closes the connection when the underlying one can, as
// net/http does before closing a connection whose request it did not read
// to the end.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom lets io.Copy to the connection use the underlying one's
// ReadFrom (sendfile on TCP).
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
