package connlimit_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/connlimit"
)

// server is a capped listener on loopback whose accepted connections arrive
// on a channel.
type server struct {
	l        *connlimit.Listener
	accepted chan net.Conn
	mu       sync.Mutex
	refused  map[connlimit.Cap]int
}

func listen(tb testing.TB, o connlimit.Options) *server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &server{accepted: make(chan net.Conn, 1024), refused: map[connlimit.Cap]int{}}
	o.Refused = func(c connlimit.Cap) {
		s.mu.Lock()
		s.refused[c]++
		s.mu.Unlock()
	}
	s.l = connlimit.New(ln, o)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.l.Accept()
			if err != nil {
				return
			}
			s.accepted <- c
		}
	}()
	tb.Cleanup(func() {
		s.l.Close()
		<-done
		close(s.accepted)
		for c := range s.accepted {
			c.Close()
		}
	})
	return s
}

func (s *server) addr() string { return s.l.Addr().String() }

func (s *server) refusals(c connlimit.Cap) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[c]
}

// dial connects to s from the loopback address from (127.0.0.1, 127.0.0.2, ...).
func dial(tb testing.TB, s *server, from string) net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", s.addr())
	if err != nil {
		tb.Fatalf("dial from %s: %v", from, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// mustAccept returns the server's side of the client connection c.
func (s *server) mustAccept(tb testing.TB, c net.Conn) net.Conn {
	tb.Helper()
	select {
	case sc := <-s.accepted:
		if sc.RemoteAddr().String() != c.LocalAddr().String() {
			tb.Fatalf("accepted %s; want %s", sc.RemoteAddr(), c.LocalAddr())
		}
		return sc
	case <-time.After(5 * time.Second):
		tb.Fatalf("connection from %s was not accepted", c.LocalAddr())
		return nil
	}
}

// refusal is what a refused client reads.
type refusal struct {
	status     int
	code       string
	message    string
	retryAfter string
	// connectionClose is whether the answer says Connection: close.
	connectionClose bool
	closed          bool
}

// readRefusal reads the answer of a refused connection and whether the server
// then closed it.
func readRefusal(tb testing.TB, c net.Conn) refusal {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		tb.Fatalf("connection from %s: no answer: %v", c.LocalAddr(), err)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatalf("refusal body: %v", err)
	}
	resp.Body.Close()
	_, err = br.ReadByte()
	return refusal{
		status: resp.StatusCode, code: body.Error.Code, message: body.Error.Message,
		retryAfter: resp.Header.Get("Retry-After"), connectionClose: resp.Close,
		closed: errors.Is(err, io.EOF),
	}
}

func mustRefuse(tb testing.TB, c net.Conn) {
	tb.Helper()
	r := readRefusal(tb, c)
	if r.status != http.StatusServiceUnavailable || r.code != "too_many_connections" || !r.connectionClose || !r.closed {
		tb.Fatalf("connection from %s: %+v; want a 503 too_many_connections, then the end", c.LocalAddr(), r)
	}
}

func TestListener_Overall(t *testing.T) {
	s := listen(t, connlimit.Options{Max: 3})
	for i := range 3 {
		s.mustAccept(t, dial(t, s, "127.0.0.1"))
		if got := s.l.Open(); got != i+1 {
			t.Fatalf("Open = %d; want %d", got, i+1)
		}
	}
	mustRefuse(t, dial(t, s, "127.0.0.1"))
	mustRefuse(t, dial(t, s, "127.0.0.2"))
	if got := s.refusals(connlimit.Overall); got != 2 {
		t.Errorf("refusals by the overall cap = %d; want 2", got)
	}
	if got := s.l.Open(); got != 3 {
		t.Errorf("Open = %d after refusals; want 3", got)
	}
}

func TestListener_PerAddress(t *testing.T) {
	s := listen(t, connlimit.Options{Max: 10, PerAddr: 2})
	for range 2 {
		s.mustAccept(t, dial(t, s, "127.0.0.1"))
	}
	mustRefuse(t, dial(t, s, "127.0.0.1"))
	// Another address has its own allowance.
	for range 2 {
		s.mustAccept(t, dial(t, s, "127.0.0.2"))
	}
	mustRefuse(t, dial(t, s, "127.0.0.2"))
	if got, want := s.refusals(connlimit.PerAddress), 2; got != want {
		t.Errorf("refusals by the per-address cap = %d; want %d", got, want)
	}
	if got := s.refusals(connlimit.Overall); got != 0 {
		t.Errorf("refusals by the overall cap = %d; want 0", got)
	}
}

func TestListener_Exempt(t *testing.T) {
	s := listen(t, connlimit.Options{Max: 4, PerAddr: 1, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/31")}})
	s.mustAccept(t, dial(t, s, "127.0.0.2"))
	mustRefuse(t, dial(t, s, "127.0.0.2"))
	// The exempt network is past the per-address cap, but within the
	// overall one.
	for range 3 {
		s.mustAccept(t, dial(t, s, "127.0.0.1"))
	}
	mustRefuse(t, dial(t, s, "127.0.0.1"))
	if s.refusals(connlimit.PerAddress) != 1 || s.refusals(connlimit.Overall) != 1 {
		t.Errorf("refusals: %d per address, %d overall; want 1 and 1",
			s.refusals(connlimit.PerAddress), s.refusals(connlimit.Overall))
	}
}

func TestListener_ReleaseOnClose(t *testing.T) {
	s := listen(t, connlimit.Options{Max: 2, PerAddr: 1})
	first := s.mustAccept(t, dial(t, s, "127.0.0.1"))
	other := s.mustAccept(t, dial(t, s, "127.0.0.2"))
	mustRefuse(t, dial(t, s, "127.0.0.1"))
	// A second Close gives nothing back twice.
	for range 2 {
		first.Close()
	}
	if got := s.l.Open(); got != 1 {
		t.Fatalf("Open = %d after a close; want 1", got)
	}
	s.mustAccept(t, dial(t, s, "127.0.0.1"))
	mustRefuse(t, dial(t, s, "127.0.0.3"))
	other.Close()
	s.mustAccept(t, dial(t, s, "127.0.0.3"))
	if got := s.l.Open(); got != 2 {
		t.Fatalf("Open = %d; want 2", got)
	}
}

func TestListener_RefusalAnswer(t *testing.T) {
	for name, tc := range map[string]struct {
		retryAfter time.Duration
		want       string
	}{
		"default":          {0, "1"},
		"rounded up":       {2500 * time.Millisecond, "3"},
		"whole seconds":    {5 * time.Second, "5"},
		"below one second": {time.Millisecond, "1"},
	} {
		t.Run(name, func(t *testing.T) {
			s := listen(t, connlimit.Options{Max: 1, RetryAfter: tc.retryAfter})
			s.mustAccept(t, dial(t, s, "127.0.0.1"))
			c := dial(t, s, "127.0.0.1")
			// The client sends its request first, as a real one does: the
			// answer must still reach it whole.
			if _, err := c.Write([]byte("POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")); err != nil {
				t.Fatal(err)
			}
			r := readRefusal(t, c)
			want := refusal{status: 503, code: "too_many_connections", message: r.message,
				retryAfter: tc.want, connectionClose: true, closed: true}
			if r != want || r.message == "" {
				t.Fatalf("refusal = %+v; want %+v with a message", r, want)
			}
		})
	}
}

// TestListener_RefusedClientHoldsNothing: refused clients that neither read
// nor close hold up neither Accept nor, past the linger time, a connection;
// there are more of them than the refusals kept lingering at once, and every
// one reads its answer and the end of the connection.
func TestListener_RefusedClientHoldsNothing(t *testing.T) {
	const silentClients = 1500
	s := listen(t, connlimit.Options{Max: 1, Linger: 200 * time.Millisecond})
	held := s.mustAccept(t, dial(t, s, "127.0.0.1"))
	var silent []net.Conn
	for range silentClients {
		silent = append(silent, dial(t, s, "127.0.0.2"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.refusals(connlimit.Overall) < silentClients && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := s.refusals(connlimit.Overall); got != silentClients {
		t.Fatalf("refusals = %d; want %d", got, silentClients)
	}
	held.Close()
	s.mustAccept(t, dial(t, s, "127.0.0.1"))
	for _, c := range silent {
		mustRefuse(t, c)
	}
}

// TestListener_Concurrent: clients from several addresses connect and
// disconnect at once; the server never holds more than the caps allow,
// every connection is either accepted or refused, and every place is given
// back.
func TestListener_Concurrent(t *testing.T) {
	const overall, perAddr, addrs, perClient = 20, 8, 4, 60
	s := listen(t, connlimit.Options{Max: overall, PerAddr: perAddr})
	var (
		mu      sync.Mutex
		holding = map[string]int{}
		total   int
		peak    int
		peakOne int
	)
	var accepted atomic.Int64
	serverDone := make(chan struct{})
	go func() {
		defer close(serverDone)
		var wg sync.WaitGroup
		for sc := range s.accepted {
			accepted.Add(1)
			ip := sc.RemoteAddr().(*net.TCPAddr).IP.String()
			mu.Lock()
			holding[ip]++
			total++
			peak = max(peak, total)
			peakOne = max(peakOne, holding[ip])
			mu.Unlock()
			wg.Go(func() {
				// Say it was accepted, and hold the connection until the
				// client closes it.
				sc.Write([]byte("A"))
				io.Copy(io.Discard, sc)
				mu.Lock()
				holding[ip]--
				total--
				mu.Unlock()
				sc.Close()
			})
		}
		wg.Wait()
	}()
	var refused atomic.Int64
	var clients sync.WaitGroup
	for a := range addrs {
		from := netip.AddrFrom4([4]byte{127, 0, 0, byte(a + 1)}).String()
		for range perClient {
			clients.Go(func() {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
				c, err := d.Dial("tcp", s.addr())
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				var b [1]byte
				if _, err := c.Read(b[:]); err != nil {
					t.Errorf("client from %s: %v", from, err)
				} else if b[0] == 'H' {
					refused.Add(1)
				}
				time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
			})
		}
	}
	clients.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for s.l.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.l.Open(); got != 0 {
		t.Fatalf("Open = %d after every client left; want 0", got)
	}
	if got := accepted.Load() + refused.Load(); got != addrs*perClient {
		t.Errorf("%d accepted + %d refused; want %d in all", accepted.Load(), refused.Load(), addrs*perClient)
	}
	refusedByCap := int64(s.refusals(connlimit.Overall) + s.refusals(connlimit.PerAddress))
	if refusedByCap != refused.Load() {
		t.Errorf("listener refused %d; clients saw %d refusals", refusedByCap, refused.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > overall || peakOne > perAddr {
		t.Errorf("server held %d connections, %d from one address; caps %d and %d", peak, peakOne, overall, perAddr)
	}
}

// TestListener_HTTPClient: behind an http.Server, Go's HTTP client, which
// takes an answer that comes before its request for garbage, gets the
// refusal as a 503 response, and its next request, once a place is free, is
// served.
func TestListener_HTTPClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := connlimit.New(ln, connlimit.Options{Max: 1})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	held, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	for deadline := time.Now().Add(5 * time.Second); l.Open() != 1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 20 {
		resp, err := client.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			t.Fatalf("refused request: %v", err)
		}
		var body struct{ Error struct{ Code string } }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "too_many_connections" || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("refused request: %d %q Retry-After %q", resp.StatusCode, body.Error.Code, resp.Header.Get("Retry-After"))
		}
	}
	held.Close()
	deadline := time.Now().Add(5 * time.Second)
	for l.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	resp, err := client.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok" {
		t.Fatalf("request with a free place: %d %q", resp.StatusCode, b)
	}
}
