package main_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// slowClientsAtCap runs TestServe_slowClients with serve's default caps and
// deadlines and more trickling connections than the overall cap, the run
// docs/benchmarks.md reports. It needs about 13,000 file descriptors.
var slowClientsAtCap = flag.Bool("slow-clients-at-cap", false,
	"TestServe_slowClients: fill serve's default overall cap of 10,000 connections")

// slowAttack is one slow-client attack on prizes serve.
type slowAttack struct {
	// env configures serve's caps and deadlines.
	env []string
	// addrs is how many loopback addresses (127.0.0.2, ...) the attack
	// comes from, and perAddr how many connections each opens.
	addrs, perAddr int
	// readTimeout is serve's deadline for a whole request.
	readTimeout time.Duration
	// refusedPerAddr, when positive, is how many of each address's
	// connections the per-address cap refuses; minRefused is the fewest
	// refusals in all.
	refusedPerAddr, minRefused int
	// atCap is whether the attack fills the overall cap, so that new
	// connections of other clients are refused too while it lasts.
	atCap bool
	// heapBound is the most heap serve may have in use during the attack.
	heapBound float64
}

// TestServe_slowClients: thousands of connections trickle a request a byte at
// a time, its headers or, after whole headers, its body, on the token route
// and on the vote route with a valid token, from a few client addresses.
// Connections beyond the caps are answered 503 too_many_connections and
// closed; the server ends every other trickling connection by its read
// deadline, long before the request could arrive, and serves none of them;
// another client keeps being answered throughout, over new connections; and
// serve's heap stays under a bound.
func TestServe_slowClients(t *testing.T) {
	a := slowAttack{
		env: []string{"PRIZES_HTTP_HEADER_TIMEOUT=3s", "PRIZES_HTTP_READ_TIMEOUT=4s",
			"PRIZES_MAX_CONNS=3000", "PRIZES_MAX_CONNS_PER_IP=500"},
		addrs: 4, perAddr: 600, readTimeout: 4 * time.Second,
		refusedPerAddr: 100, minRefused: 400,
		// A held connection costs serve about 25 KB of heap, garbage
		// included; the server at rest about 6 MB.
		heapBound: 128 << 20,
	}
	if *slowClientsAtCap {
		// serve's defaults: 10,000 connections, 512 per address, 5 s for a
		// request's headers and 10 s for all of it.
		a = slowAttack{
			addrs: 25, perAddr: 500, readTimeout: 10 * time.Second,
			minRefused: 25*500 - 10000, atCap: true,
			heapBound: 320 << 20,
		}
	}
	raiseFileLimit(t, uint64(a.addrs*a.perAddr+1000))

	d := newDeployment(t, testenv.RedisURL(t))
	// The bystander, at 127.0.0.1, is exempt from the rate limits and the
	// per-address cap; the attackers are not.
	s := d.serve(append([]string{"PRIZES_LIMIT_EXEMPT=127.0.0.1/32"}, a.env...)...)
	tokens := d.voters(12)
	byCat := map[string]string{}
	for _, p := range s.projects(t) {
		byCat[p.Category] = p.ID
	}
	var ballots [][2]string
	for _, tok := range tokens {
		for _, p := range byCat {
			ballots = append(ballots, [2]string{tok, p})
		}
	}
	addr := strings.TrimPrefix(s.base, "http://")

	token, vote := tokenRequest(), voteRequest(tokens[0], ballots[0][1])
	kinds := []struct {
		name       string
		head, rest string
	}{
		{"token headers", "", token},
		{"token body", token[:headerEnd(token)], token[headerEnd(token):]},
		{"vote headers", "", vote},
		{"vote body", vote[:headerEnd(vote)], vote[headerEnd(vote):]},
	}
	// A byte every quarter second keeps every connection busy, so only a
	// deadline on the whole request ends it, not one on idleness; the
	// requests are long enough that none arrives whole before the test
	// gives up on it.
	const every = 250 * time.Millisecond
	giveUp := a.readTimeout + 10*time.Second

	b := newBystander(s.base, ballots)
	b.sample(t)
	before := b.heap

	// Every connection is opened before any sends a byte, so that the
	// attack holds as many as the caps allow at once however long opening
	// them takes.
	results := make([][]trickleResult, a.addrs)
	var wg, dialed sync.WaitGroup
	dials, start := make(chan struct{}, 64), make(chan struct{})
	dialed.Add(a.addrs * a.perAddr)
	for i := range a.addrs {
		from := netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 2)})
		results[i] = make([]trickleResult, a.perAddr)
		for j := range a.perAddr {
			k := kinds[(i+j)%len(kinds)]
			wg.Go(func() {
				results[i][j] = trickle(addr, from, k.name, []byte(k.head), []byte(k.rest), every, giveUp, dials, dialed.Done, start)
			})
		}
	}
	dialed.Wait()
	close(start)
	stop := make(chan struct{})
	bystanderDone := make(chan struct{})
	go func() {
		defer close(bystanderDone)
		b.run(stop)
	}()
	wg.Wait()
	close(stop)
	<-bystanderDone

	refused, held := 0, 0
	// ends counts how the held connections ended, by kind and status (0:
	// closed without an answer).
	ends := map[string]int{}
	for i, rs := range results {
		refusedHere := 0
		for _, r := range rs {
			switch {
			case r.err != nil:
				t.Fatalf("%s from %s: %v", r.kind, r.from, r.err)
			case r.refused:
				refusedHere++
			case r.completed:
				t.Errorf("%s from %s: the whole request was sent before the server closed the connection", r.kind, r.from)
			case !r.closed:
				t.Errorf("%s from %s: still open %v after it was opened; the read deadline is %v", r.kind, r.from, giveUp, a.readTimeout)
			case r.status/100 == 2:
				t.Errorf("%s from %s: answered %d", r.kind, r.from, r.status)
			case r.status == http.StatusServiceUnavailable:
				t.Errorf("%s from %s: answered 503 but not too_many_connections", r.kind, r.from)
			default:
				held++
				ends[fmt.Sprintf("%s %d", r.kind, r.status)]++
			}
		}
		if a.refusedPerAddr > 0 && refusedHere != a.refusedPerAddr {
			t.Errorf("127.0.0.%d: %d of %d connections refused; want %d beyond the per-address cap", i+2, refusedHere, len(rs), a.refusedPerAddr)
		}
		refused += refusedHere
	}
	if refused < a.minRefused {
		t.Errorf("%d connections refused; want at least %d", refused, a.minRefused)
	}
	b.sample(t)
	byCap := map[string]int{}
	for _, c := range []string{"address", "overall"} {
		byCap[c] = int(b.metric(t, `prizes_connections_refused_total{cap="`+c+`"}`))
	}
	if byCap["address"]+byCap["overall"] != refused+b.refused {
		t.Errorf("serve counted %v refusals; the clients saw %d", byCap, refused+b.refused)
	}
	peakRSS := vmHWM(t, s.cmd.Process.Pid)
	t.Logf("%d trickling connections from %d addresses: %d held until serve closed them (%v), %d refused (serve counted %v); "+
		"bystander: %d requests answered, %d refused, %d failed; serve's heap in use %.0f MB before, at most %.0f MB sampled during the attack; "+
		"serve's peak RSS %.0f MB",
		a.addrs*a.perAddr, a.addrs, held, ends, refused, byCap, b.ok, b.refused, len(b.failed),
		before/(1<<20), b.peakHeap/(1<<20), peakRSS/(1<<20))
	if len(b.failed) > 0 {
		t.Errorf("bystander requests failed during the attack (%d answered): %v", b.ok, b.failed)
	}
	if b.ok < 10 {
		t.Errorf("only %d bystander requests were answered during the attack", b.ok)
	}
	if b.refused > 0 && !a.atCap {
		t.Errorf("%d bystander connections were refused below the overall cap", b.refused)
	}
	if b.peakHeap > a.heapBound {
		t.Errorf("serve's heap in use reached %.0f MB; bound %.0f MB", b.peakHeap/(1<<20), a.heapBound/(1<<20))
	}
}

// headerEnd returns where the body of an HTTP request starts.
func headerEnd(req string) int { return strings.Index(req, "\r\n\r\n") + 4 }

func tokenRequest() string {
	body := `{"email":"slow.client@example.org","code":"123456","display_name":"Slow Client","country":"GB"}`
	return "POST /api/v1/auth/token HTTP/1.1\r\nHost: prizes\r\nUser-Agent: slow-client\r\n" +
		"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func voteRequest(token, project string) string {
	body := `{"project_id":"` + project + `"}` + strings.Repeat(" ", 60)
	return "POST /api/v1/editions/demo/votes HTTP/1.1\r\nHost: prizes\r\nUser-Agent: slow-client\r\n" +
		"Authorization: Bearer " + token + "\r\n" +
		"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// trickleResult is what one trickling client saw.
type trickleResult struct {
	kind string
	from netip.Addr
	// refused is an answer 503 too_many_connections; status is the status
	// of any answer.
	refused bool
	status  int
	// closed is whether the server ended the connection before the client
	// gave up; completed is whether the whole request was sent first.
	closed, completed bool
	err               error
}

// trickle connects from the loopback address from and calls dialed; once
// start is closed it sends, a piece every interval, head whole and then rest
// a byte at a time, until the server answers or closes the connection, or
// giveUp passes. dials bounds the connections being opened at once.
func trickle(addr string, from netip.Addr, kind string, head, rest []byte, every, giveUp time.Duration,
	dials chan struct{}, dialed func(), start <-chan struct{}) trickleResult {
	r := trickleResult{kind: kind, from: from}
	dials <- struct{}{}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from.AsSlice()}, Timeout: 30 * time.Second}
	c, err := d.Dial("tcp", addr)
	<-dials
	dialed()
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	<-start
	end := time.Now().Add(giveUp)
	var got []byte
	buf := make([]byte, 1024)
	sent := -1 // -1 until head is sent
	if len(head) == 0 {
		sent = 0
	}
	for !r.closed {
		wait := time.Now().Add(every)
		if wait.After(end) {
			wait = end
		}
		c.SetReadDeadline(wait)
		n, err := c.Read(buf)
		if len(got) < 4096 {
			got = append(got, buf[:n]...)
		}
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
			if !time.Now().Before(end) {
				return r
			}
		default:
			r.closed = true
		}
		if r.closed || len(got) > 0 || sent == len(rest) {
			continue
		}
		piece := head
		if sent >= 0 {
			piece = rest[sent : sent+1]
		}
		if _, err := c.Write(piece); err != nil {
			// The server closed the connection; what it said, if
			// anything, is read below.
			r.closed = true
		}
		sent++
		r.completed = sent == len(rest)
	}
	if len(got) == 0 {
		c.SetReadDeadline(time.Now().Add(time.Second))
		got, _ = io.ReadAll(io.LimitReader(c, 4096))
	}
	if resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil); err == nil {
		r.status = resp.StatusCode
		body, _ := io.ReadAll(resp.Body)
		r.refused = r.status == http.StatusServiceUnavailable && bytes.Contains(body, []byte(`"code":"too_many_connections"`))
	}
	return r
}

// bystander is a client at 127.0.0.1 that, while an attack lasts, votes and
// checks health, each over a new connection, and reads serve's metrics over
// a connection it keeps, so that they are read even while the overall cap is
// full.
type bystander struct {
	base    string
	ballots [][2]string
	client  *http.Client
	sampler *http.Client
	metrics []byte
	// heap is serve's heap in use at the last sample, peakHeap the most
	// sampled.
	heap, peakHeap float64
	// ok counts the requests answered as expected, refused the new
	// connections answered 503 too_many_connections.
	ok, refused int
	failed      []string
}

// errRefused is a connection answered 503 too_many_connections.
var errRefused = errors.New("connection refused by a cap")

func newBystander(base string, ballots [][2]string) *bystander {
	return &bystander{base: base, ballots: ballots,
		client:  &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		sampler: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}},
	}
}

func (b *bystander) run(stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		switch i % 3 {
		case 0:
			b.check(b.get(b.client, "/healthz"))
		case 1:
			if len(b.ballots) > 0 {
				bl := b.ballots[0]
				b.ballots = b.ballots[1:]
				b.check(b.vote(bl[0], bl[1]))
			}
		case 2:
			b.check(b.sampleErr())
		}
	}
}

func (b *bystander) check(err error) {
	switch {
	case err == nil:
		b.ok++
	case errors.Is(err, errRefused):
		b.refused++
	default:
		b.failed = append(b.failed, err.Error())
	}
}

// answer reads a response and checks its status.
func answer(resp *http.Response, want int, what string) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if resp.StatusCode == http.StatusServiceUnavailable && bytes.Contains(body, []byte("too_many_connections")) {
		return nil, errRefused
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s: %d %s", what, resp.StatusCode, body)
	}
	return body, nil
}

func (b *bystander) get(c *http.Client, path string) error {
	resp, err := c.Get(b.base + path)
	if err != nil {
		return err
	}
	body, err := answer(resp, http.StatusOK, "GET "+path)
	if err == nil && path == "/metrics" {
		b.metrics = body
	}
	return err
}

func (b *bystander) vote(token, project string) error {
	req, _ := http.NewRequest("POST", b.base+"/api/v1/editions/demo/votes", strings.NewReader(`{"project_id":"`+project+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	_, err = answer(resp, http.StatusAccepted, "vote")
	return err
}

// sampleErr reads serve's metrics and notes its heap in use.
func (b *bystander) sampleErr() error {
	if err := b.get(b.sampler, "/metrics"); err != nil {
		return err
	}
	heap, ok := stack.SumMetric(b.metrics, "go_memstats_heap_inuse_bytes")
	if !ok {
		return errors.New("metrics: no go_memstats_heap_inuse_bytes")
	}
	b.heap, b.peakHeap = heap, max(b.peakHeap, heap)
	return nil
}

func (b *bystander) sample(tb testing.TB) {
	tb.Helper()
	if err := b.sampleErr(); err != nil {
		tb.Fatal(err)
	}
}

// metric returns the value of one series (name{labels}) of the last sample,
// zero when it has none.
func (b *bystander) metric(tb testing.TB, series string) float64 {
	tb.Helper()
	for _, line := range strings.Split(string(b.metrics), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				tb.Fatalf("metric %s: %v", series, err)
			}
			return f
		}
	}
	return 0
}

// vmHWM returns the peak resident memory of process pid, in bytes.
func vmHWM(tb testing.TB, pid int) float64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb * 1024
		}
	}
	tb.Fatal("no VmHWM in /proc status")
	return 0
}

// raiseFileLimit raises the test process's descriptor limit to at least
// need, as far as the hard limit allows; the test is skipped below it.
func raiseFileLimit(tb testing.TB, need uint64) {
	tb.Helper()
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Fatal(err)
	}
	if l.Cur >= need {
		return
	}
	if l.Max < need {
		tb.Skipf("needs %d file descriptors; the hard limit is %d", need, l.Max)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Fatal(err)
	}
}
