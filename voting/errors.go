package voting

import "github.com/wsisvote/prizes/internal/kind"

// The vote path's own errors, on the project's kinds (see internal/kind,
// which also holds the errors every package shares: kind.ErrInvalid,
// kind.ErrUnavailable, kind.ErrRateLimited and the rest). Adapters
// translate driver errors into these at their boundary; wrap them with %w
// and name the operation that failed.
var (
	// ErrDuplicate means the voter has already voted in this ballot slot.
	ErrDuplicate = kind.New(kind.Conflict, "duplicate_vote", "you have already voted in this ballot slot")
	// ErrClosed means the edition is not in its voting phase, or the vote
	// came outside the edition's voting window.
	ErrClosed = kind.New(kind.Forbidden, "voting_closed", "voting is not open for this edition")
	// ErrUnknownEdition means no edition has the given id.
	ErrUnknownEdition = kind.New(kind.NotFound, "unknown_edition", "no edition has this id")
	// ErrUnknownCategory means the edition has no category with the given
	// code.
	ErrUnknownCategory = kind.New(kind.NotFound, "unknown_category", "this edition has no category with this code")
	// ErrUnknownProject means the edition has no project with the given id.
	ErrUnknownProject = kind.New(kind.NotFound, "unknown_project", "this edition has no project with this id")
	// ErrNotNominated means the project exists but is not on the ballot.
	ErrNotNominated = kind.New(kind.Invalid, "not_nominated", "this project is not on the ballot")
	// ErrOutcomeUnknown means the vote was sent to the store but no answer
	// came in time, or a vote is recorded in its slot that the ledger does
	// not hold yet: whether this vote is recorded cannot be told now. A
	// retry of the same vote settles it: the original receipt when it was
	// recorded, a new one when it was not.
	ErrOutcomeUnknown = kind.New(kind.Unavailable, "outcome_unknown",
		"no answer came in time: your vote may or may not be recorded; send the same vote again to find out")
	// ErrCategoryFull means the voter has cast every vote the edition allows
	// in the category.
	ErrCategoryFull = kind.New(kind.Conflict, "category_full", "you have cast every vote this edition allows in this category")
)
