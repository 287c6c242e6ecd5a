// Package naive is the design every reader thinks of first, kept as the
// reference the real vote path is measured against: the same route and JSON
// body, the same token check, and one INSERT per vote straight into
// PostgreSQL, where a unique constraint refuses the second vote of a voter
// in a category. It has no Redis, no batching and no log; it is what the
// architecture has to beat by a clear margin to be worth its parts.
package naive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/api"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// Table is the naive design's own table. It has the shape of the ledger,
// constraints included, so that each insert pays for the same indexes.
const Table = "naive_votes"

// Migrate creates Table, like the votes ledger, if it does not exist.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+Table+" (LIKE votes INCLUDING ALL)"); err != nil {
		return fmt.Errorf("naive migrate: %w", err)
	}
	return nil
}

// Server answers votes by inserting them.
type Server struct {
	pool     *pgxpool.Pool
	verifier *api.Verifier
	snap     *voting.Snapshot
	now      func() time.Time
	newID    func() string
}

// New returns the naive server over pool: tokens are checked with verifier
// (the vote path's own, with its cache), projects are looked up in snap,
// loaded once.
func New(pool *pgxpool.Pool, verifier *api.Verifier, snap *voting.Snapshot) *Server {
	return &Server{pool: pool, verifier: verifier, snap: snap, now: time.Now,
		newID: func() string { return uuid.Must(uuid.NewV7()).String() }}
}

// Open connects to the database at url with a pool as large as the vote
// path's, creates Table, loads the catalogue and the token keys, and
// returns the server and a function that closes it.
func Open(ctx context.Context, url string) (*Server, func(), error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("naive open: %w", err)
	}
	cfg.MaxConns = max(cfg.MaxConns, 16)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("naive open: %w", err)
	}
	fail := func(err error) (*Server, func(), error) {
		pool.Close()
		return nil, nil, fmt.Errorf("naive open: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		return fail(err)
	}
	store := postgres.New(pool)
	snap, err := store.LoadSnapshot(ctx)
	if err != nil {
		return fail(err)
	}
	keys, err := ipostgres.New(pool).VerificationKeys(ctx, 24*time.Hour)
	if err != nil {
		return fail(err)
	}
	verifier, err := api.NewVerifier(keys, time.Now)
	if err != nil {
		return fail(err)
	}
	return New(pool, verifier, snap), pool.Close, nil
}

type voteRequest struct {
	ProjectID string `json:"project_id"`
}

type voteResponse struct {
	VoteID   string `json:"vote_id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func fail(c *gin.Context, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	c.JSON(status, b)
}

// Handler returns the HTTP handler: POST /api/v1/editions/:edition/votes
// and GET /healthz. Gin runs without middleware, like the baseline. The
// caller sets Gin's process-wide mode.
func (s *Server) Handler() http.Handler {
	e := gin.New()
	e.POST("/api/v1/editions/:edition/votes", s.vote)
	e.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	return e
}

func (s *Server) vote(c *gin.Context) {
	tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		fail(c, http.StatusUnauthorized, "unauthenticated", "a bearer token is required")
		return
	}
	claims, err := s.verifier.Verify(tok)
	voter, isAccount := claims.AccountID()
	if err != nil || !claims.HasRole(api.RoleVoter) || !isAccount {
		fail(c, http.StatusUnauthorized, "unauthenticated", "the token is not a voter's")
		return
	}
	var req voteRequest
	if err := json.NewDecoder(c.Request.Body).Decode(&req); err != nil || req.ProjectID == "" {
		fail(c, http.StatusUnprocessableEntity, "invalid_request", "want {\"project_id\":\"...\"}")
		return
	}
	edition := c.Param("edition")
	ed, ok := s.snap.Edition(edition)
	if !ok {
		fail(c, http.StatusNotFound, "unknown_edition", "no such edition")
		return
	}
	if ed.Phase != voting.PhaseVoting {
		fail(c, http.StatusForbidden, "voting_closed", "the edition is not voting")
		return
	}
	p, ok := s.snap.Project(edition, req.ProjectID)
	if !ok {
		fail(c, http.StatusNotFound, "unknown_project", "no such project")
		return
	}
	if !p.Nominated {
		fail(c, http.StatusUnprocessableEntity, "not_nominated", "the project is not on the ballot")
		return
	}
	slot := p.Category
	if ed.Rules.OnePer == voting.OnePerProject {
		slot = p.ID
	}
	id := s.newID()
	_, err = s.pool.Exec(c.Request.Context(), `INSERT INTO `+Table+`
		(id, edition_id, voter_id, project_id, category_code, slot, status, cast_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'counted', $7)`,
		id, edition, voter, p.ID, p.Category, slot, s.now())
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
		fail(c, http.StatusConflict, "duplicate_vote", "already voted in this category")
	case err != nil:
		fail(c, http.StatusServiceUnavailable, "unavailable", "the database cannot be reached")
	default:
		c.JSON(http.StatusAccepted, voteResponse{VoteID: id, Status: "accepted", Category: p.Category})
	}
}
