package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// MaxVoteBody is the largest vote request body accepted, in bytes. A vote is
// one short id; anything much bigger is a mistake or an attack.
const MaxVoteBody = 1 << 10

// MaxProjectID is the longest project id accepted, in bytes. Project ids are
// UUIDs (36 bytes); the margin leaves room for other id formats.
const MaxProjectID = 64

// The vote results reported to the observer for a 202 (a vote recorded now)
// and a 200 (a retry answered with the receipt of the vote recorded before).
const (
	resultAccepted = "accepted"
	resultReplayed = "replayed"
)

// VoteRequest is the body of a vote.
type VoteRequest struct {
	ProjectID string `json:"project_id"`
}

// DecodeVote reads a vote request: one JSON object of at most MaxVoteBody
// bytes, with no fields but project_id and nothing after it. project_id must
// be 1 to MaxProjectID characters from [A-Za-z0-9._:-]. Every error wraps
// kind.ErrInvalid and says what was wrong.
//
// DecodeVote reads into a pooled buffer and takes the common body,
// {"project_id":"<id>"} with optional whitespace, without the JSON decoder;
// every other body goes through the decoder, so what is refused and the
// message that says why are the decoder's.
func DecodeVote(r io.Reader) (VoteRequest, error) {
	buf := getScratch()
	defer putScratch(buf)
	body, err := readInto(r, (*buf)[:MaxVoteBody+1])
	if err != nil {
		return VoteRequest{}, fmt.Errorf("decode vote: read body: %w: %w", kind.ErrInvalid, err)
	}
	if len(body) > MaxVoteBody {
		return VoteRequest{}, fmt.Errorf("decode vote: body exceeds %d bytes: %w", MaxVoteBody, kind.ErrInvalid)
	}
	if id, ok := scanVote(body); ok {
		// The id is copied out of the buffer, which is reused once this
		// function returns.
		return VoteRequest{ProjectID: string(id)}, nil
	}
	return decodeVoteJSON(body)
}

// readInto reads r into buf until r is exhausted or buf is full, and returns
// what it read. Like io.ReadAll over an io.LimitReader of len(buf), it
// reports io.EOF as success and any other error as it is.
func readInto(r io.Reader, buf []byte) ([]byte, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		// A reader returns io.EOF itself, never wrapped, at the end of its
		// input; io.ReadAll compares it the same way.
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf[:n], err
		}
	}
	return buf[:n], nil
}

// scanVote returns the project id of a body that is exactly one object
// {"project_id":"<id>"}, with JSON whitespace allowed around every token and
// an id of 1 to MaxProjectID bytes from [A-Za-z0-9._:-]. Such a body is
// accepted by decodeVoteJSON with the same id. It returns false for any
// other body, valid or not, which then goes to decodeVoteJSON; the id it
// returns is a slice of body.
func scanVote(body []byte) ([]byte, bool) {
	const key = `"project_id"`
	i := skipSpace(body, 0)
	if !hasByte(body, i, '{') {
		return nil, false
	}
	i = skipSpace(body, i+1)
	if !bytes.HasPrefix(body[i:], []byte(key)) {
		return nil, false
	}
	i = skipSpace(body, i+len(key))
	if !hasByte(body, i, ':') {
		return nil, false
	}
	i = skipSpace(body, i+1)
	if !hasByte(body, i, '"') {
		return nil, false
	}
	i++
	start := i
	for i < len(body) && i-start <= MaxProjectID && idByte(body[i]) {
		i++
	}
	id := body[start:i]
	if len(id) == 0 || len(id) > MaxProjectID || !hasByte(body, i, '"') {
		return nil, false
	}
	i = skipSpace(body, i+1)
	if !hasByte(body, i, '}') || skipSpace(body, i+1) != len(body) {
		return nil, false
	}
	return id, true
}

// skipSpace returns the index of the first byte of b at or after i that is
// not JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasByte(b []byte, i int, c byte) bool {
	return i < len(b) && b[i] == c
}

// decodeVoteJSON is DecodeVote's strict path: decodeJSON, which takes one
// JSON object whose names match exactly, once each, and nothing after it,
// then the id's own rules.
func decodeVoteJSON(body []byte) (VoteRequest, error) {
	var req VoteRequest
	if err := decodeJSON(body, &req); err != nil {
		return VoteRequest{}, fmt.Errorf("decode vote: %w", err)
	}
	if err := checkProjectID(req.ProjectID); err != nil {
		return VoteRequest{}, fmt.Errorf("decode vote: %w", err)
	}
	return req, nil
}

func checkProjectID(id string) error {
	if id == "" {
		return fmt.Errorf("project_id is required: %w", kind.ErrInvalid)
	}
	if len(id) > MaxProjectID {
		return fmt.Errorf("project_id is longer than %d bytes: %w", MaxProjectID, kind.ErrInvalid)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return fmt.Errorf("project_id has a character outside [A-Za-z0-9._:-]: %w", kind.ErrInvalid)
		}
	}
	return nil
}

func idByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '-' || b == '_' || b == '.' || b == ':'
}

// castVote is POST /api/v1/editions/:edition/votes.
func (s *server) castVote(c *gin.Context) {
	receipt, err := s.cast(c)
	if err != nil {
		s.obs.VoteResult(s.fail(c, err))
		return
	}
	if receipt.Replayed {
		s.obs.VoteResult(resultReplayed)
		writeReceipt(c, http.StatusOK, receipt)
		return
	}
	s.obs.VoteResult(resultAccepted)
	writeReceipt(c, http.StatusAccepted, receipt)
}

// cast authenticates the voter before reading the body, so an anonymous
// client cannot make the server parse anything.
func (s *server) cast(c *gin.Context) (voting.Receipt, error) {
	claims, err := s.authenticate(c, RoleVoter)
	if err != nil {
		return voting.Receipt{}, fmt.Errorf("cast vote: %w", err)
	}
	voter, ok := claims.AccountID()
	if !ok {
		return voting.Receipt{}, fmt.Errorf("cast vote: token subject %q is not a voter id: %w", claims.Subject, kind.ErrUnauthenticated)
	}
	ip := clientAddr(c)
	edition := c.Param("edition")
	admission, err := s.admitVote(c, edition, voter, ip, c.GetHeader(ChallengeHeader))
	if err != nil {
		return voting.Receipt{}, fmt.Errorf("cast vote: %w", err)
	}
	if err := checkJSON(c.GetHeader("Content-Type")); err != nil {
		return voting.Receipt{}, fmt.Errorf("cast vote: %w", err)
	}
	req, err := DecodeVote(c.Request.Body)
	if err != nil {
		return voting.Receipt{}, err
	}
	// The request's own context, not the gin.Context, goes to the domain.
	return s.votes.Cast(c.Request.Context(), ballotOf(c, claims, edition, voter, req.ProjectID, ip, admission))
}

// ballotOf is the ballot of an admitted vote, as the API and the site cast
// it: the voter's session facts and the client's network and device go to
// the fraud scorer with it.
func ballotOf(c *gin.Context, claims Claims, edition string, voter int64, project string, ip netip.Addr, admission identity.Admission) voting.Ballot {
	b := voting.Ballot{
		Edition:   edition,
		VoterID:   voter,
		ProjectID: project,
		Client:    clientOf(c, ip),
		Unmetered: admission.Unmetered,
	}
	if claims.Since > 0 {
		b.AccountSince = time.Unix(claims.Since, 0)
	}
	if claims.AuthTime > 0 {
		b.SignedInAt = time.Unix(claims.AuthTime, 0)
	}
	b.Client.EmailClass = claims.EmailClass
	b.Client.ChallengeSolved = admission.ChallengeSolved
	return b
}

// admitVote applies the vote's rate limits and its proof-of-work challenge
// solution (required when the edition asks for it, checked whenever one is
// sent),
// before the body is read: a refused client costs one round trip shared with
// other votes, and no parsing.
func (s *server) admitVote(c *gin.Context, edition string, voter int64, ip netip.Addr, solution string) (identity.Admission, error) {
	if s.ident.gate == nil {
		return identity.Admission{}, nil
	}
	ed, _ := s.catalogue.Snapshot().Edition(edition)
	return s.ident.gate.AdmitVote(c.Request.Context(), identity.VoteAttempt{
		Voter:     voter,
		Client:    identity.Client{IP: ip, UserAgent: c.Request.UserAgent()},
		Challenge: ed.Rules.VoteChallenge,
		Solution:  solution,
	})
}

// jsonContentType is the Content-Type of the receipt, the one Gin's c.JSON
// sets. The slice is shared by every response and never written to; see
// securityHeaderValues for why sharing it is safe.
var jsonContentType = []string{"application/json; charset=utf-8"}

// writeReceipt answers status (202, or 200 for a retried vote) with the
// receipt as the JSON object
// {"vote_id":"...","status":"accepted","category":"..."}, byte for byte what
// c.JSON writes for it, with the same headers (c.JSON sets no
// Content-Length either; net/http adds it). It is written by hand, without
// reflection or a new buffer, because it answers nearly every request the
// service takes.
func writeReceipt(c *gin.Context, status int, r voting.Receipt) {
	buf := getScratch()
	defer putScratch(buf)
	b := appendReceipt((*buf)[:0], r)
	*buf = b
	c.Status(status)
	if h := c.Writer.Header(); len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentType
	}
	if _, err := c.Writer.Write(b); err != nil {
		// This is what Gin's renderer does with a failed write: the client
		// is gone, and nothing more can be said to it.
		_ = c.Error(err)
		c.Abort()
	}
}

// appendReceipt appends the JSON of a 202 answer to b, its fields in the
// order encoding/json would write them.
func appendReceipt(b []byte, r voting.Receipt) []byte {
	b = append(b, `{"vote_id":`...)
	b = appendJSONString(b, r.VoteID)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, resultAccepted)
	b = append(b, `,"category":`...)
	b = appendJSONString(b, r.Category)
	return append(b, '}')
}

// appendJSONString appends s to b as a JSON string exactly as json.Marshal
// writes it: quote and backslash escaped, control characters as their short
// escape (\b \f \n \r \t) or as \u00XX, <, > and & as \u003c, \u003e and
// \u0026 (so the JSON is safe inside HTML), U+2028 and U+2029 as \u2028 and
// \u2029, and each byte of invalid UTF-8 as \ufffd. Valid UTF-8 otherwise
// passes through unchanged.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// maxScratch is the largest scratch buffer kept for reuse. A receipt with
// unusually long fields grows its buffer; that one is left to the garbage
// collector rather than kept forever.
const maxScratch = 4 << 10

// scratch holds the buffers the vote route reads bodies into and writes
// receipts from, so that neither allocates per request. Each buffer has room
// for a whole body and its limit-detecting extra byte. A pool keeps nothing
// a caller can observe: a buffer is only used between getScratch and
// putScratch.
var scratch = sync.Pool{New: func() any {
	b := make([]byte, 0, MaxVoteBody+1)
	return &b
}}

func getScratch() *[]byte { return scratch.Get().(*[]byte) }

// putScratch returns a buffer to the pool. Nothing may hold a slice of it
// afterwards.
func putScratch(b *[]byte) {
	if cap(*b) > maxScratch {
		return
	}
	*b = (*b)[:0]
	scratch.Put(b)
}
