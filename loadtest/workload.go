package loadtest

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Workload produces the requests of a run. It must be safe for concurrent
// use: every worker calls Next.
type Workload interface {
	// Next appends the next request, complete HTTP/1.1 bytes, to buf and
	// returns it with a label under which its 2xx answers are counted (for
	// votes, the project id). ok is false once the workload is exhausted.
	Next(buf []byte) (req []byte, label string, ok bool)
}

// Target is the API under load.
type Target struct {
	// Addr is the host:port to connect to.
	Addr string
	// Host is the Host header; Addr when empty.
	Host string
	// Edition is the edition voted in.
	Edition string
}

// ParseTarget returns the target of an http:// base URL and an edition.
func ParseTarget(baseURL, edition string) (Target, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return Target{}, fmt.Errorf("parse target: %w", err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return Target{}, fmt.Errorf("parse target: %q: only http://host:port URLs are supported", baseURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += ":80"
	}
	if edition == "" {
		return Target{}, fmt.Errorf("parse target: edition is required")
	}
	return Target{Addr: addr, Host: u.Host, Edition: edition}, nil
}

// Votes is the workload that casts ballots: POST /api/v1/editions/E/votes
// with the voter's bearer token and {"project_id":"..."}.
type Votes struct {
	ballots *Ballots
	prefix  string
}

var _ Workload = (*Votes)(nil)

// NewVotes returns the workload casting ballots against t. Several workloads
// may share one Ballots, and then never cast the same ballot twice.
func NewVotes(t Target, ballots *Ballots) *Votes {
	host := t.Host
	if host == "" {
		host = t.Addr
	}
	var b strings.Builder
	b.WriteString("POST /api/v1/editions/")
	b.WriteString(url.PathEscape(t.Edition))
	b.WriteString("/votes HTTP/1.1\r\nHost: ")
	b.WriteString(host)
	b.WriteString("\r\nUser-Agent: prizes-loadtest\r\nContent-Type: application/json\r\nAuthorization: Bearer ")
	return &Votes{ballots: ballots, prefix: b.String()}
}

// Ballots returns the ballot sequence the workload draws from.
func (w *Votes) Ballots() *Ballots { return w.ballots }

// Next appends the request casting the next ballot.
func (w *Votes) Next(buf []byte) ([]byte, string, bool) {
	b, ok := w.ballots.Next()
	if !ok {
		return buf, "", false
	}
	return w.Append(buf, b), b.ProjectID, true
}

// Append appends the request casting ballot b to buf: the same bytes
// whenever it is called, so that a caller may send a ballot again, as a
// client retrying a vote that got no answer does.
func (w *Votes) Append(buf []byte, b Ballot) []byte {
	return AppendVote(buf, w.prefix, b)
}

// bodyLen is the length of {"project_id":""}.
const bodyLen = len(`{"project_id":""}`)

// AppendVote appends the request for ballot b to buf; prefix is everything
// up to the bearer token.
func AppendVote(buf []byte, prefix string, b Ballot) []byte {
	buf = append(buf, prefix...)
	buf = append(buf, b.Voter.Token...)
	buf = append(buf, "\r\nContent-Length: "...)
	buf = strconv.AppendInt(buf, int64(bodyLen+len(b.ProjectID)), 10)
	buf = append(buf, "\r\n\r\n{\"project_id\":\""...)
	buf = append(buf, b.ProjectID...)
	buf = append(buf, "\"}"...)
	return buf
}
