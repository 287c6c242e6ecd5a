package identity

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The identity error vocabulary. Adapters translate driver errors into these
// at their boundary, and the API maps each one to an HTTP status and a stable
// code in one table. Wrap them with %w and name the operation that failed.
var (
	// ErrInvalid means the request itself is malformed: an email address
	// that does not parse, a display name too long, a country that is not a
	// two-letter code.
	ErrInvalid = errors.New("invalid request")
	// ErrDisposableEmail means the address belongs to a throwaway mail
	// service, which cannot stand behind a voter identity.
	ErrDisposableEmail = errors.New("disposable email address")
	// ErrInvalidCode means a sign-in code is wrong, expired, used up or was
	// never sent. The cases are not told apart, so a caller learns nothing
	// about which addresses asked for a code.
	ErrInvalidCode = errors.New("invalid sign-in code")
	// ErrInvalidRefresh means a refresh token is unknown, expired or revoked.
	ErrInvalidRefresh = errors.New("invalid refresh token")
	// ErrRefreshReused means a refresh token was presented after it had
	// already been exchanged; the whole family it belongs to is revoked.
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrRateLimited means a rate limit refused the request; errors.As with
	// a *RateLimitError says when to retry.
	ErrRateLimited = errors.New("rate limited")
	// ErrChallengeRequired means the request needs a solved proof-of-work
	// challenge and came without one.
	ErrChallengeRequired = errors.New("challenge required")
	// ErrChallengeInvalid means the solution is wrong, expired, meant for
	// another purpose, signed with an unknown key or already used.
	ErrChallengeInvalid = errors.New("invalid challenge solution")
	// ErrNotFound means no account has the given id, or it was erased.
	ErrNotFound = errors.New("account not found")
	// ErrUnavailable means a backing store or the mail server could not be
	// reached; the caller may retry.
	ErrUnavailable = errors.New("unavailable")
)

// RateLimitError is the error a refused rate limit returns. It wraps
// ErrRateLimited.
type RateLimitError struct {
	// Limit names the limit that refused, such as "vote-ip".
	Limit string
	// RetryAfter is how long until the request would be allowed.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limit %s: retry after %s", e.Limit, e.RetryAfter)
}

// Unwrap makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least one,
// as an HTTP Retry-After header wants it.
func (e *RateLimitError) RetryAfterSeconds() string {
	s := int64((e.RetryAfter + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
