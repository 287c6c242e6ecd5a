package voting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// Log is the hot store every accepted vote goes through: in one atomic step it
// claims the voter's ballot slot (exact deduplication), appends the vote to the
// durable vote log, and bumps the live counter when the vote counts.
type Log interface {
	// Append records v and sets v.CastAt from the store's clock. It returns
	// ErrClosed when that clock is outside v.Window, ErrDuplicate when
	// v.VoterID already filled v.Slot in v.Edition, ErrCategoryFull when
	// v.CategoryCap votes of the voter are already in v.Category, a
	// *kind.RateLimitError (kind.ErrRateLimited)
	// when the voter is voting faster than the store's limit allows,
	// kind.ErrUnavailable when the store could not take v (it was certainly not
	// recorded), and ErrOutcomeUnknown when v was sent but no answer came in
	// time (it may have been). Append never sends v twice; the voter's retry
	// does, and meets v as a duplicate if it was recorded.
	Append(ctx context.Context, v *Vote) error
}

// Recorded finds the vote a voter has in a ballot slot, in the ledger. The
// service asks it only when the log refused a vote as a duplicate, so that a
// voter retrying a vote whose answer was lost gets its receipt back: the
// hot path pays nothing for it.
type Recorded interface {
	// RecordedVote returns the voter's vote in the slot, and false when the
	// ledger holds none (yet). It returns kind.ErrUnavailable when the ledger
	// cannot be reached.
	RecordedVote(ctx context.Context, edition string, voter int64, slot string) (Vote, bool, error)
}

// Scorer judges a vote before it is recorded. It never refuses a vote outright:
// it gives the status the vote is recorded with, so a suspected bot is
// answered exactly like anyone else. It does the same work whatever status
// it gives, so its time tells nothing either.
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
	// SignedInAt is when the voter's session began; the zero time when
	// unknown.
	SignedInAt time.Time
	Client     Client
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
	// Recorded, when set, settles a vote the log refuses as a duplicate:
	// the same project in the slot gets the original receipt back.
	Recorded Recorded
	// SettleWait bounds how long a duplicate waits for the slot's vote to
	// reach the ledger (the flusher's lag) before it is answered
	// ErrOutcomeUnknown; zero asks the ledger once.
	SettleWait time.Duration
	// Activity, when set, counts every answered vote request of an edition
	// the catalogue knows, for the organisers' dashboard.
	Activity *Activity
}

// settlePoll is how often a duplicate asks the ledger again while it waits
// for the slot's vote to arrive there.
const settlePoll = 50 * time.Millisecond

// Cast validates b and records it. It returns ErrUnknownEdition,
// ErrUnknownProject, ErrNotNominated, ErrClosed, kind.ErrInvalid, ErrDuplicate,
// ErrCategoryFull, kind.ErrRateLimited, kind.ErrUnavailable or ErrOutcomeUnknown,
// wrapped with the operation. A ballot for the project whose vote already
// fills its slot is answered with that vote's receipt, marked Replayed.
func (s *Service) Cast(ctx context.Context, b Ballot) (Receipt, error) {
	snap := s.Catalogue.Snapshot()
	ed, ok := snap.Edition(b.Edition)
	if !ok {
		return Receipt{}, fmt.Errorf("cast vote in %q: %w", b.Edition, ErrUnknownEdition)
	}
	r, status, err := s.cast(ctx, snap, ed, b)
	if s.Activity != nil {
		s.Activity.Cast(ed.ID, status, r.Replayed, err)
	}
	return r, err
}

// cast is Cast in an edition the catalogue knows; it also returns the
// status the vote was recorded with.
func (s *Service) cast(ctx context.Context, snap *Snapshot, ed Edition, b Ballot) (Receipt, Status, error) {
	if b.VoterID <= 0 {
		return Receipt{}, "", fmt.Errorf("cast vote: %w", kind.ErrUnauthenticated)
	}
	if b.ProjectID == "" {
		return Receipt{}, "", fmt.Errorf("cast vote: project_id is required: %w", kind.ErrInvalid)
	}
	p, ok := snap.Project(b.Edition, b.ProjectID)
	if !ok {
		return Receipt{}, "", fmt.Errorf("cast vote for %q: %w", b.ProjectID, ErrUnknownProject)
	}
	if !p.Nominated {
		return Receipt{}, "", fmt.Errorf("cast vote for %q: %w", b.ProjectID, ErrNotNominated)
	}
	if ed.Phase != PhaseVoting {
		return Receipt{}, "", fmt.Errorf("cast vote in %q (phase %s): %w", b.Edition, ed.Phase, ErrClosed)
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
		Window:      ed.Window,
	}
	if !b.AccountSince.IsZero() && now.After(b.AccountSince) {
		v.Client.AccountAge = now.Sub(b.AccountSince)
	}
	if !b.SignedInAt.IsZero() && now.After(b.SignedInAt) {
		v.Client.SignedInFor = now.Sub(b.SignedInAt)
	}
	verdict := s.Scorer.Score(ctx, v)
	v.Status, v.Reasons = verdict.Status, verdict.Reasons
	if !v.Status.Valid() {
		v.Status = StatusCounted
	}
	if err := s.Log.Append(ctx, v); err != nil {
		if errors.Is(err, ErrDuplicate) && s.Recorded != nil {
			r, err := s.settle(ctx, v, err)
			return r, v.Status, err
		}
		return Receipt{}, "", fmt.Errorf("cast vote for %q: %w", b.ProjectID, err)
	}
	return Receipt{VoteID: v.ID, Category: v.Category}, v.Status, nil
}

// settle answers a vote the log refused as a duplicate (dup) from the
// ledger: the original receipt when the slot holds a vote for the same
// project, dup when it holds another. A slot whose vote is still on its way
// to the ledger is asked again every settlePoll for up to SettleWait, then
// answered ErrOutcomeUnknown, which a later retry settles.
func (s *Service) settle(ctx context.Context, v *Vote, dup error) (Receipt, error) {
	deadline := s.Now().Add(s.SettleWait)
	for {
		prev, ok, err := s.Recorded.RecordedVote(ctx, v.Edition, v.VoterID, v.Slot)
		switch {
		case err != nil:
			return Receipt{}, fmt.Errorf("cast vote for %q: settle duplicate: %w", v.ProjectID, err)
		case ok && prev.ProjectID == v.ProjectID:
			return Receipt{VoteID: prev.ID, Category: prev.Category, Replayed: true}, nil
		case ok:
			return Receipt{}, fmt.Errorf("cast vote for %q: %w", v.ProjectID, dup)
		}
		if !s.Now().Before(deadline) {
			return Receipt{}, fmt.Errorf("cast vote for %q: slot %s holds a vote not in the ledger yet: %w",
				v.ProjectID, v.Slot, ErrOutcomeUnknown)
		}
		t := time.NewTimer(settlePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return Receipt{}, fmt.Errorf("cast vote for %q: settle duplicate: %w", v.ProjectID, ctx.Err())
		case <-t.C:
		}
	}
}
