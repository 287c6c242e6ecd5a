package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/prizes"
)

// FraudStore is fraud review for organisers. Every method returns
// voting.ErrUnknownEdition for an edition that does not exist and
// kind.ErrUnavailable when the store cannot be reached.
type FraudStore interface {
	// Cases lists an edition's cases and the projects with invalidated
	// votes, in any phase.
	Cases(ctx context.Context, edition string) (antifraud.CaseList, error)
	// Case returns one case with its votes, decisions and evidence, in any
	// phase. It returns antifraud.ErrUnknownCase.
	Case(ctx context.Context, edition, id string) (antifraud.CaseFile, error)
	// Decide records a decision. It returns prizes.FieldErrors,
	// antifraud.ErrUnknownCase, antifraud.ErrSameDecision and, outside the
	// voting, counting and jury phases, a *prizes.PhaseError.
	Decide(ctx context.Context, actor prizes.Actor, edition, id string, req antifraud.DecisionRequest) (antifraud.Decision, error)
}

// caseJSON is a case as the fraud routes answer it. The list leaves out
// votes, decisions and evidence; VoteCount counts the votes.
type caseJSON struct {
	ID        string                    `json:"id"`
	Kind      string                    `json:"kind"`
	State     antifraud.CaseState       `json:"state"`
	Score     float64                   `json:"score"`
	Summary   string                    `json:"summary"`
	Signals   map[string]float64        `json:"signals"`
	Timeline  []antifraud.TimelinePoint `json:"timeline"`
	Accounts  []int64                   `json:"accounts"`
	Projects  []string                  `json:"projects"`
	VoteCount int64                     `json:"vote_count"`
	Statuses  map[string]int64          `json:"statuses"`
	FoundAt   time.Time                 `json:"found_at"`
	UpdatedAt time.Time                 `json:"updated_at"`
	Votes     []string                  `json:"votes,omitempty"`
	Decisions []antifraud.Decision      `json:"decisions,omitempty"`
	// Evidence holds the case's first antifraud.MaxEvidence votes in cast
	// order with their account facts, status and reasons.
	Evidence []antifraud.EvidenceVote `json:"evidence,omitempty"`
}

func renderCase(cf antifraud.CaseFile, full bool) caseJSON {
	out := caseJSON{
		ID: cf.ID, Kind: cf.Kind, State: cf.State, Score: cf.Score, Summary: cf.Summary,
		Signals: cf.Signals, Timeline: cf.Timeline, Accounts: cf.Accounts, Projects: cf.Projects,
		Statuses: cf.Statuses, FoundAt: cf.FoundAt, UpdatedAt: cf.UpdatedAt,
	}
	for _, n := range cf.Statuses {
		out.VoteCount += n
	}
	if out.Signals == nil {
		out.Signals = map[string]float64{}
	}
	if out.Timeline == nil {
		out.Timeline = []antifraud.TimelinePoint{}
	}
	if out.Accounts == nil {
		out.Accounts = []int64{}
	}
	if out.Projects == nil {
		out.Projects = []string{}
	}
	if out.Statuses == nil {
		out.Statuses = map[string]int64{}
	}
	if full {
		out.Votes, out.Decisions, out.Evidence = cf.Votes, cf.Decisions, cf.Evidence
		if out.Votes == nil {
			out.Votes = []string{}
		}
	}
	return out
}

type caseListJSON struct {
	Edition string     `json:"edition"`
	Cases   []caseJSON `json:"cases"`
	// Projects are the projects with invalidated votes;
	// disqualification_review flags those most of whose votes were
	// invalidated.
	Projects []antifraud.ProjectReview `json:"projects"`
}

// fraudRoutes registers fraud review on v1, for organisers only: a
// suspected bot is never told anything.
func (l *lifecycle) fraudRoutes(v1 *gin.RouterGroup, organiser Policy) {
	const e = "/editions/:edition"
	l.handle(v1, http.MethodGet, e+"/fraud/cases", organiser, l.fraudCases)
	l.handle(v1, http.MethodGet, e+"/fraud/cases/:id", organiser, l.fraudCase)
	l.handle(v1, http.MethodPost, e+"/fraud/cases/:id/decision", organiser, l.decideFraudCase)
}

// fraudCases is GET /editions/:edition/fraud/cases: every case, open ones
// first, and the projects with invalidated votes.
func (l *lifecycle) fraudCases(c *gin.Context) {
	list, err := l.cfg.Fraud.Cases(c.Request.Context(), c.Param("edition"))
	if err != nil {
		l.fail(c, err)
		return
	}
	out := caseListJSON{Edition: list.Edition, Cases: make([]caseJSON, len(list.Cases)), Projects: list.Projects}
	for i, cf := range list.Cases {
		out.Cases[i] = renderCase(cf, false)
	}
	if out.Projects == nil {
		out.Projects = []antifraud.ProjectReview{}
	}
	c.JSON(http.StatusOK, out)
}

// fraudCase is GET /editions/:edition/fraud/cases/:id: one case with its
// votes, its decisions and the evidence.
func (l *lifecycle) fraudCase(c *gin.Context) {
	cf, err := l.cfg.Fraud.Case(c.Request.Context(), c.Param("edition"), c.Param("id"))
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, renderCase(cf, true))
}

// decideFraudCase is POST /editions/:edition/fraud/cases/:id/decision with
// {"decision": "invalidate" or "clear", "reason"}: the recorded decision,
// with live_tally_pending when the live tally could not be adjusted yet.
func (l *lifecycle) decideFraudCase(c *gin.Context) {
	var req antifraud.DecisionRequest
	if err := decodeBody(c, maxLifecycleBody, &req); err != nil {
		l.fail(c, fmt.Errorf("decide fraud case: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (antifraud.Decision, error) {
		return l.cfg.Fraud.Decide(ctx, a, c.Param("edition"), c.Param("id"), req)
	}, func(d antifraud.Decision) any { return d })
}
