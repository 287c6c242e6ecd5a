package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
)

// accountOfRequest returns the account id of the verified token.
func accountOfRequest(c *gin.Context) (int64, error) {
	id, ok := claimsOf(c).AccountID()
	if !ok {
		return 0, fmt.Errorf("token subject is not an account: %w", kind.ErrUnauthenticated)
	}
	return id, nil
}

// me is GET /api/v1/me: the signed-in account.
func (s *server) me(c *gin.Context) {
	id, err := accountOfRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, grants, err := s.ident.accounts.Account(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, accountOf(a, grants))
}

type eventJSON struct {
	Kind       string    `json:"kind"`
	At         time.Time `json:"at"`
	Network    string    `json:"network"`
	ClientHash string    `json:"client_hash"`
	UserAgent  string    `json:"user_agent"`
}

type sessionJSON struct {
	Started   time.Time  `json:"started"`
	LastUsed  time.Time  `json:"last_used"`
	Expires   time.Time  `json:"expires"`
	RevokedAt *time.Time `json:"revoked_at"`
}

type voteJSON struct {
	Edition  string    `json:"edition"`
	Project  string    `json:"project_id"`
	Category string    `json:"category"`
	CastAt   time.Time `json:"cast_at"`
}

type exportJSON struct {
	ExportedAt time.Time     `json:"exported_at"`
	Account    accountJSON   `json:"account"`
	VerifiedAt time.Time     `json:"verified_at"`
	History    []eventJSON   `json:"history"`
	Sessions   []sessionJSON `json:"sessions"`
	Votes      []voteJSON    `json:"votes"`
}

// myData is GET /api/v1/me/data: everything stored about the account, as a
// JSON download. Votes are listed once they reached the ledger, a few
// seconds after they were cast, without their fraud status.
func (s *server) myData(c *gin.Context) {
	id, err := accountOfRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	x, err := s.ident.accounts.Export(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := exportJSON{ExportedAt: time.Now().UTC(), Account: accountOf(x.Account, x.Grants), VerifiedAt: x.Account.VerifiedAt.UTC(),
		History: []eventJSON{}, Sessions: []sessionJSON{}, Votes: []voteJSON{}}
	for _, ev := range x.Events {
		out.History = append(out.History, eventJSON{Kind: ev.Kind, At: ev.At.UTC(), Network: ev.Network, ClientHash: ev.ClientHash, UserAgent: ev.UserAgent})
	}
	for _, es := range x.Sessions {
		sj := sessionJSON{Started: es.Started.UTC(), LastUsed: es.LastUsed.UTC(), Expires: es.Expires.UTC()}
		if !es.RevokedAt.IsZero() {
			r := es.RevokedAt.UTC()
			sj.RevokedAt = &r
		}
		out.Sessions = append(out.Sessions, sj)
	}
	for _, v := range x.Votes {
		out.Votes = append(out.Votes, voteJSON{Edition: v.Edition, Project: v.Project, Category: v.Category, CastAt: v.CastAt.UTC()})
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="account-%d.json"`, id))
	c.JSON(http.StatusOK, out)
}

// eraseMe is DELETE /api/v1/me: the account's personal data goes; its votes
// stay in the ledger under an id that no longer leads to anyone.
func (s *server) eraseMe(c *gin.Context) {
	id, err := accountOfRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.ident.accounts.Erase(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
