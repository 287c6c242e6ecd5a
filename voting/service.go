package voting

import (
	"context"
	"fmt"
	"time"
)

// Log is the hot store every accepted vote goes through: in one atomic step it
// claims the voter's ballot slot (exact deduplication), appends the vote to the
// durable vote log, and bumps the live counter when the vote counts.
type Log interface {
	// Append records v. It returns ErrDuplicate when v.VoterID already filled
	// v.Slot in v.Edition, ErrCategoryFull when v.CategoryCap votes of the
	// voter are already in v.Category, a *RateLimitError (ErrRateLimited) when the voter
	// is voting faster than the store's limit allows, and ErrUnavailable when the store cannot be reached
	// (in which case the caller cannot know whether v was recorded, and must
	// not acknowledge it).
	Append(ctx context.Context, v *Vote) error
}

// Scorer judges a vote before it is recorded. It never refuses a vote outright:
// it gives the status the vote is recorded with, so a suspected bot is
// answered exactly like anyone else.
type Scorer interface {
	Score(ctx context.Context, v *Vote) Verdict
}

// Verdict is a scorer's judgement of one vote.
type Verdict struct {
	Status  Status
	Reasons []string
}

// CountAll is the scorer that counts every vote.
type CountAll struct{}

// Score implements Scorer.
func (CountAll) Score(context.Context, *Vote) Verdict { return Verdict{Status: StatusCounted} }

// Ballot is a voter's request to vote for a project.
type Ballot struct {
	Edition   string
	VoterID   int64
	ProjectID string
	// AccountSince is when the voter's account was created.
	AccountSince time.Time
	Client       Client
	// Unmetered exempts the ballot from the per-voter rate limit.
	Unmetered bool
}

// Service casts votes: it checks a ballot against the catalogue, scores it and
// appends it to the log. It does no I/O of its own beyond the Log.
type Service struct {
	Catalogue *Catalogue
	Log       Log
	Scorer    Scorer
	Now       func() time.Time
	NewID     func() string
}

// Cast validates b and records it. It returns ErrUnknownEdition,
// ErrUnknownProject, ErrNotNominated, ErrClosed, ErrInvalid, ErrDuplicate or
// ErrUnavailable, wrapped with the operation.
func (s *Service) Cast(ctx context.Context, b Ballot) (Receipt, error) {
	snap := s.Catalogue.Snapshot()
	ed, ok := snap.Edition(b.Edition)
	if !ok {
		return Receipt{}, fmt.Errorf("cast vote in %q: %w", b.Edition, ErrUnknownEdition)
	}
	if b.VoterID <= 0 {
		return Receipt{}, fmt.Errorf("cast vote: %w", ErrUnauthenticated)
	}
	if b.ProjectID == "" {
		return Receipt{}, fmt.Errorf("cast vote: project_id is required: %w", ErrInvalid)
	}
	p, ok := snap.Project(b.Edition, b.ProjectID)
	if !ok {
		return Receipt{}, fmt.Errorf("cast vote for %q: %w", b.ProjectID, ErrUnknownProject)
	}
	if !p.Nominated {
		return Receipt{}, fmt.Errorf("cast vote for %q: %w", b.ProjectID, ErrNotNominated)
	}
	if ed.Phase != PhaseVoting {
		return Receipt{}, fmt.Errorf("cast vote in %q (phase %s): %w", b.Edition, ed.Phase, ErrClosed)
	}
	now := s.Now()
	v := &Vote{
		ID:          s.NewID(),
		Edition:     ed.ID,
		VoterID:     b.VoterID,
		ProjectID:   p.ID,
		Category:    p.Category,
		Slot:        ed.Rules.Slot(p),
		CastAt:      now,
		Client:      b.Client,
		Unmetered:   b.Unmetered,
		CategoryCap: ed.Rules.CategoryCap(),
	}
	if !b.AccountSince.IsZero() && now.After(b.AccountSince) {
		v.Client.AccountAge = now.Sub(b.AccountSince)
	}
	verdict := s.Scorer.Score(ctx, v)
	v.Status, v.Reasons = verdict.Status, verdict.Reasons
	if !v.Status.Valid() {
		v.Status = StatusCounted
	}
	if err := s.Log.Append(ctx, v); err != nil {
		return Receipt{}, fmt.Errorf("cast vote for %q: %w", b.ProjectID, err)
	}
	return Receipt{VoteID: v.ID, Category: v.Category}, nil
}
