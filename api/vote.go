package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/voting"
)

// MaxVoteBody is the largest vote request body accepted, in bytes. A vote is
// one short id; anything much bigger is a mistake or an attack.
const MaxVoteBody = 1 << 10

// MaxProjectID is the longest project id accepted, in bytes. Project ids are
// UUIDs (36 bytes); the margin leaves room for other id formats.
const MaxProjectID = 64

// resultAccepted is the vote result reported to the observer for a 202.
const resultAccepted = "accepted"

// VoteRequest is the body of a vote.
type VoteRequest struct {
	ProjectID string `json:"project_id"`
}

// DecodeVote reads a vote request: one JSON object of at most MaxVoteBody
// bytes, with no fields but project_id and nothing after it. project_id must
// be 1 to MaxProjectID characters from [A-Za-z0-9._:-]. Every error wraps
// voting.ErrInvalid and says what was wrong.
func DecodeVote(r io.Reader) (VoteRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxVoteBody+1))
	if err != nil {
		return VoteRequest{}, fmt.Errorf("decode vote: read body: %w: %w", voting.ErrInvalid, err)
	}
	if len(body) > MaxVoteBody {
		return VoteRequest{}, fmt.Errorf("decode vote: body exceeds %d bytes: %w", MaxVoteBody, voting.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req VoteRequest
	if err := dec.Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return VoteRequest{}, fmt.Errorf("decode vote: empty body: %w", voting.ErrInvalid)
		}
		return VoteRequest{}, fmt.Errorf("decode vote: %s: %w", describeJSON(err), voting.ErrInvalid)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return VoteRequest{}, fmt.Errorf("decode vote: unexpected data after the JSON object: %w", voting.ErrInvalid)
	}
	if err := checkProjectID(req.ProjectID); err != nil {
		return VoteRequest{}, fmt.Errorf("decode vote: %w", err)
	}
	return req, nil
}

// describeJSON says what is wrong with a body in the client's terms rather
// than in the decoder's, which names Go types.
func describeJSON(err error) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("%s must be a string, not %s", typ.Field, typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("body must be a JSON object, not %s", typ.Value)
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	// The remaining decoder errors, such as an unknown field, read well as
	// they are once their package prefix is gone.
	return strings.TrimPrefix(err.Error(), "json: ")
}

func checkProjectID(id string) error {
	if id == "" {
		return fmt.Errorf("project_id is required: %w", voting.ErrInvalid)
	}
	if len(id) > MaxProjectID {
		return fmt.Errorf("project_id is longer than %d bytes: %w", MaxProjectID, voting.ErrInvalid)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return fmt.Errorf("project_id has a character outside [A-Za-z0-9._:-]: %w", voting.ErrInvalid)
		}
	}
	return nil
}

func idByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '-' || b == '_' || b == '.' || b == ':'
}

type voteResponse struct {
	VoteID   string `json:"vote_id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

// castVote is POST /api/v1/editions/:edition/votes.
func (s *server) castVote(c *gin.Context) {
	receipt, err := s.cast(c)
	if err != nil {
		s.obs.VoteResult(s.fail(c, err))
		return
	}
	s.obs.VoteResult(resultAccepted)
	c.JSON(http.StatusAccepted, voteResponse{VoteID: receipt.VoteID, Status: resultAccepted, Category: receipt.Category})
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
		return voting.Receipt{}, fmt.Errorf("cast vote: token subject %q is not a voter id: %w", claims.Subject, voting.ErrUnauthenticated)
	}
	ip := clientAddr(c)
	edition := c.Param("edition")
	if err := s.admitVote(c, edition, voter, ip); err != nil {
		return voting.Receipt{}, fmt.Errorf("cast vote: %w", err)
	}
	if err := checkJSON(c.GetHeader("Content-Type")); err != nil {
		return voting.Receipt{}, fmt.Errorf("cast vote: %w", err)
	}
	req, err := DecodeVote(c.Request.Body)
	if err != nil {
		return voting.Receipt{}, err
	}
	b := voting.Ballot{
		Edition:   edition,
		VoterID:   voter,
		ProjectID: req.ProjectID,
		Client:    clientOf(c, ip),
		Unmetered: s.ident.gate != nil && s.ident.gate.Exempt(identity.Client{IP: ip}),
	}
	if claims.Since > 0 {
		b.AccountSince = time.Unix(claims.Since, 0)
	}
	// The request's own context, not the gin.Context, goes to the domain.
	return s.votes.Cast(c.Request.Context(), b)
}

// admitVote applies the vote's rate limits and, when the edition asks for
// it, its proof-of-work challenge, before the body is read: a refused client
// costs one round trip shared with other votes, and no parsing.
func (s *server) admitVote(c *gin.Context, edition string, voter int64, ip netip.Addr) error {
	if s.ident.gate == nil {
		return nil
	}
	ed, _ := s.catalogue.Snapshot().Edition(edition)
	return s.ident.gate.AdmitVote(c.Request.Context(), identity.VoteAttempt{
		Voter:     voter,
		Client:    identity.Client{IP: ip, UserAgent: c.Request.UserAgent()},
		Challenge: ed.Rules.VoteChallenge,
		Solution:  c.GetHeader(ChallengeHeader),
	})
}

// checkJSON accepts a missing Content-Type, since the body is always JSON,
// and refuses any type but application/json.
func checkJSON(ct string) error {
	if ct == "" || ct == "application/json" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("content type %q is not application/json: %w", ct, voting.ErrInvalid)
	}
	return nil
}
