package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// DialFunc opens a connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Response is the part of an HTTP response the generator looks at. Body is
// only valid until the next request on the same Conn.
type Response struct {
	Status int
	Body   []byte
}

// Field returns the string value of key in the response's JSON body, the
// first one found at any depth ("vote_id", or "code" of an error), or ""
// when there is none.
func (r Response) Field(key string) string {
	return string(jsonString(r.Body, `"`+key+`"`))
}

// Conn is one keep-alive HTTP/1.1 connection that sends ready-made request
// bytes and reads the answer with as little work as it can: no header map,
// no per-request allocation once warm. On a machine where the generator
// shares two cores with the server, Redis and PostgreSQL, what net/http's
// client spends per request would otherwise be taken from the server and
// show up as its slowness. A Conn is not safe for concurrent use; each
// worker owns one.
type Conn struct {
	addr    string
	dial    DialFunc
	timeout time.Duration

	nc   net.Conn
	br   *bufio.Reader
	body []byte
}

// NewConn returns a Conn to addr (host:port) that dials lazily with dial (a
// plain TCP dialer when nil) and gives every request at most timeout (10 s
// when zero).
func NewConn(addr string, dial DialFunc, timeout time.Duration) *Conn {
	if dial == nil {
		d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Conn{addr: addr, dial: dial, timeout: timeout}
}

// Connect dials now if the Conn is not connected, so that connection set-up
// can happen before a measurement starts.
func (c *Conn) Connect(ctx context.Context) error {
	if c.nc != nil {
		return nil
	}
	nc, err := c.dial(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c.nc = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 4<<10)
	} else {
		c.br.Reset(nc)
	}
	return nil
}

// Close closes the connection; the next request dials again.
func (c *Conn) Close() error {
	if c.nc == nil {
		return nil
	}
	err := c.nc.Close()
	c.nc = nil
	return err
}

// Do sends req, a complete HTTP/1.1 request, and reads its response. Any
// error closes the connection, since what is left in it is unknown; the
// outcome of a request that failed after it was written is unknown too.
func (c *Conn) Do(ctx context.Context, req []byte) (Response, error) {
	if err := c.Connect(ctx); err != nil {
		return Response{}, err
	}
	if err := c.nc.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		c.Close()
		return Response{}, fmt.Errorf("request to %s: %w", c.addr, err)
	}
	if _, err := c.nc.Write(req); err != nil {
		c.Close()
		return Response{}, fmt.Errorf("write request to %s: %w", c.addr, err)
	}
	resp, keep, err := c.read()
	if err != nil {
		c.Close()
		return Response{}, fmt.Errorf("read response from %s: %w", c.addr, err)
	}
	if !keep {
		c.Close()
	}
	return resp, nil
}

var errMalformed = errors.New("malformed response")

// read parses one response: the status line, the headers it needs (length,
// chunking, connection) and the body. keep reports whether the connection
// may carry another request.
func (c *Conn) read() (resp Response, keep bool, err error) {
	line, err := c.line()
	if err != nil {
		return Response{}, false, err
	}
	// "HTTP/1.1 202 Accepted"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return Response{}, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return Response{}, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	keep = line[7] == '1'
	length, chunked := int64(-1), false
	for {
		h, err := c.line()
		if err != nil {
			return Response{}, false, err
		}
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte{':'})
		if !ok {
			return Response{}, false, fmt.Errorf("%w: header %q", errMalformed, h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return Response{}, false, fmt.Errorf("%w: content length %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	c.body = c.body[:0]
	switch {
	case status == 204 || status == 304 || status/100 == 1:
	case chunked:
		if err := c.readChunked(); err != nil {
			return Response{}, false, err
		}
	case length >= 0:
		if err := c.readN(length); err != nil {
			return Response{}, false, err
		}
	default:
		// Without a length the body runs to the end of the connection.
		b, err := io.ReadAll(c.br)
		if err != nil {
			return Response{}, false, err
		}
		c.body = append(c.body, b...)
		keep = false
	}
	return Response{Status: status, Body: c.body}, keep, nil
}

// maxBody bounds how much of a response body is kept; the rest is read and
// dropped, since the generator only looks for a code or an id near the
// start.
const maxBody = 64 << 10

func (c *Conn) readN(n int64) error {
	keep := min(n, maxBody-int64(len(c.body)))
	if keep > 0 {
		start := len(c.body)
		c.body = append(c.body, make([]byte, keep)...)
		if _, err := io.ReadFull(c.br, c.body[start:]); err != nil {
			return err
		}
	}
	if rest := n - max(keep, 0); rest > 0 {
		if _, err := c.br.Discard(int(rest)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Conn) readChunked() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("%w: chunk size %q", errMalformed, line)
		}
		if size == 0 {
			// Trailers, if any, end with an empty line.
			for {
				t, err := c.line()
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if err := c.readN(size); err != nil {
			return err
		}
		if crlf, err := c.line(); err != nil || len(crlf) != 0 {
			return fmt.Errorf("%w: chunk not followed by CRLF", errMalformed)
		}
	}
}

// line returns the next line without its CRLF. It is only valid until the
// next read.
func (c *Conn) line() ([]byte, error) {
	l, err := c.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errMalformed, c.br.Size())
		}
		return nil, err
	}
	l = l[:len(l)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}
