package voting

import "errors"

// The voting error vocabulary. Adapters translate driver errors into these at
// their boundary, and the API maps each one to an HTTP status and a stable code
// in one table. Wrap them with %w and name the operation that failed.
var (
	// ErrDuplicate means the voter has already voted in this ballot slot.
	ErrDuplicate = errors.New("duplicate vote")
	// ErrClosed means the edition is not in its voting phase.
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
)
