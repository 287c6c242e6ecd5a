package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsisvote/prizes/identity"
)

// ChallengeHeader carries a solved proof-of-work challenge on a vote, as
// the API reads it.
const ChallengeHeader = "X-Challenge"

// Challenger fetches proof-of-work puzzles from GET /api/v1/challenge and
// solves them, as a voter's browser does before each vote of an edition
// whose rules ask for one. It is safe for concurrent use.
type Challenger struct {
	// BaseURL is the API, http://host:port.
	BaseURL string
	// Client fetches the puzzles; a client with a 10 s timeout when nil.
	Client *http.Client
	// Timeout bounds fetching and solving one puzzle (default 30 s).
	Timeout time.Duration
}

// Solve fetches a vote puzzle and returns its solution encoded for the
// X-Challenge header. A valid from is sent as X-Forwarded-For, so that the
// server sets the difficulty by the voter's address and not by the
// generator's, which would look like one client asking for thousands.
func (c *Challenger) Solve(ctx context.Context, from netip.Addr) (string, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	url := strings.TrimRight(c.BaseURL, "/") + "/api/v1/challenge?purpose=" + identity.PurposeVote
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("fetch challenge: %w", err)
	}
	req.Header.Set("User-Agent", "prizes-loadtest")
	if from.IsValid() {
		req.Header.Set("X-Forwarded-For", from.String())
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch challenge: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if err != nil {
		return "", fmt.Errorf("fetch challenge: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch challenge: status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	var ch identity.Challenge
	if err := json.Unmarshal(body, &ch); err != nil {
		return "", fmt.Errorf("fetch challenge: %w", err)
	}
	sol, err := identity.Solve(ctx, ch)
	if err != nil {
		return "", err
	}
	return sol.Encode(), nil
}

// ProofOfWork wraps a workload so that every request it makes carries a
// freshly solved challenge, each used once as the API requires. Fetching
// and solving happen in Next, before the request is sent, so a closed
// loop's latency leaves them out; in an open loop they can make a request
// late, and the lateness counts. Workloads of editions without the rule
// are not wrapped and pay nothing for it.
type ProofOfWork struct {
	w Workload
	c *Challenger
	// Solved counts the challenges solved and Failed those that could not
	// be fetched or solved; a request whose challenge failed is sent
	// without one, so the API's refusal shows in the run's answers.
	Solved, Failed atomic.Int64
	mu             sync.Mutex
	lastErr        error
}

var _ Workload = (*ProofOfWork)(nil)

// NewProofOfWork returns w with a challenge solved by c on every request.
func NewProofOfWork(w Workload, c *Challenger) *ProofOfWork {
	return &ProofOfWork{w: w, c: c}
}

// LastError returns the last error met fetching or solving a challenge.
func (p *ProofOfWork) LastError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

var forwardedFor = []byte("\r\nX-Forwarded-For: ")

// Next appends the wrapped workload's next request with an X-Challenge
// header after its request line. A request that names its client in
// X-Forwarded-For gets a challenge fetched as that client.
func (p *ProofOfWork) Next(buf []byte) ([]byte, string, bool) {
	start := len(buf)
	req, label, ok := p.w.Next(buf)
	if !ok {
		return req, label, ok
	}
	msg := req[start:]
	var from netip.Addr
	if i := bytes.Index(msg, forwardedFor); i >= 0 {
		v := msg[i+len(forwardedFor):]
		if j := bytes.IndexByte(v, '\r'); j >= 0 {
			from, _ = netip.ParseAddr(string(bytes.TrimSpace(v[:j])))
		}
	}
	sol, err := p.c.Solve(context.Background(), from)
	if err != nil {
		p.Failed.Add(1)
		p.mu.Lock()
		p.lastErr = err
		p.mu.Unlock()
		return req, label, true
	}
	p.Solved.Add(1)
	line := bytes.Index(msg, []byte("\r\n"))
	if line < 0 {
		return req, label, true
	}
	at := start + line + 2
	header := ChallengeHeader + ": " + sol + "\r\n"
	req = append(req, header...)
	copy(req[at+len(header):], req[at:len(req)-len(header)])
	copy(req[at:], header)
	return req, label, true
}
