package voting

import (
	"errors"
	"fmt"
	"time"
)

// The voting error vocabulary. Adapters translate driver errors into these at
// their boundary, and the API maps each one to an HTTP status and a stable code
// in one table. Wrap them with %w and name the operation that failed.
var (
	// ErrDuplicate means the voter has already voted in this ballot slot.
	ErrDuplicate = errors.New("duplicate vote")
	// ErrClosed means the edition is not in its voting phase, or the vote
	// came outside the edition's voting window.
	ErrClosed = errors.New("voting closed")
	// ErrUnknownEdition means no edition has the given id.
	ErrUnknownEdition = errors.New("unknown edition")
	// ErrUnknownProject means the edition has no project with the given id.
	ErrUnknownProject = errors.New("unknown project")
	// ErrNotNominated means the project exists but is not on the ballot.
	ErrNotNominated = errors.New("project not nominated")
	// ErrInvalid means the request itself is malformed.
	ErrInvalid = errors.New("invalid request")
	// ErrUnauthenticated means no valid voter identity came with the request.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller is known but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable means a backing store could not be reached; the caller may
	// retry, and nothing was recorded.
	ErrUnavailable = errors.New("unavailable")
	// ErrOutcomeUnknown means the vote was sent to the store but no answer
	// came in time, or a vote is recorded in its slot that the ledger does
	// not hold yet: whether this vote is recorded cannot be told now. A
	// retry of the same vote settles it: the original receipt when it was
	// recorded, a new one when it was not.
	ErrOutcomeUnknown = errors.New("vote outcome unknown")
	// ErrCategoryFull means the voter has cast every vote the edition allows
	// in the category.
	ErrCategoryFull = errors.New("no votes left in this category")
	// ErrRateLimited means the voter is voting faster than allowed; errors.As
	// with *RateLimitError tells how long to wait. Nothing was recorded.
	ErrRateLimited = errors.New("rate limited")
)

// RateLimitError is a refusal by the per-voter rate limit.
type RateLimitError struct {
	// RetryAfter is how long until the voter may vote again.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("vote rate limit: retry after %s", e.RetryAfter)
}

// Unwrap makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least one,
// as an HTTP Retry-After header wants it.
func (e *RateLimitError) RetryAfterSeconds() string {
	s := int64((e.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return fmt.Sprint(s)
}
