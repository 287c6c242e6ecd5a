// Package kind is the project's one vocabulary of errors: a small set of
// kinds that say what a caller can do about a failure, and the domain errors
// built on them, each with a stable code. The domain packages (voting,
// prizes, identity, antifraud) declare their errors with New; adapters
// translate driver errors into these at their boundary, once; the API maps
// each kind to an HTTP status in one table and answers with the code.
package kind

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Kind is the class of a failure, as a caller can act on it.
type Kind uint8

// The kinds. Internal is the zero value: any error that is not of a kind is
// the service's own fault.
const (
	// Internal is a fault of the service itself.
	Internal Kind = iota
	// Invalid means the request is malformed or breaks a rule about its
	// own content; sending it again unchanged fails again.
	Invalid
	// Unauthenticated means no valid identity came with the request.
	Unauthenticated
	// Forbidden means the caller is known but may not do this, now or at
	// all.
	Forbidden
	// NotFound means the thing asked for does not exist, or is not the
	// caller's to see.
	NotFound
	// Conflict means the request clashes with the state of things: a
	// duplicate, a wrong phase, something final.
	Conflict
	// RateLimited means the caller is going faster than allowed; errors.As
	// with *RateLimitError says when to retry.
	RateLimited
	// Unavailable means a backing service could not answer in time; the
	// caller may retry.
	Unavailable
)

var names = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not found", "conflict", "rate limited", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(names) {
		return names[k]
	}
	return "kind " + strconv.Itoa(int(k))
}

// Error is a domain error: its kind, a stable code that clients may rely on
// (snake_case, never changed once published) and a sentence for people.
// Declare each one once with New and wrap it with %w, naming the operation.
type Error struct {
	Kind    Kind
	Code    string
	Message string
}

// New returns a domain error of kind k.
func New(k Kind, code, message string) *Error {
	return &Error{Kind: k, Code: code, Message: message}
}

func (e *Error) Error() string { return e.Message }

// Find returns the first domain error in err's chain, and false when there
// is none (an internal error).
func Find(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Of returns the kind of err: that of the first domain error in its chain,
// or Internal.
func Of(err error) Kind {
	if e, ok := Find(err); ok {
		return e.Kind
	}
	return Internal
}

// The errors of the kinds themselves, for failures that need no name of
// their own.
var (
	// ErrInvalid is a malformed request; the wrapping error says what is
	// wrong with it.
	ErrInvalid = New(Invalid, "invalid_request", "invalid request")
	// ErrUnauthenticated is a request without a valid identity.
	ErrUnauthenticated = New(Unauthenticated, "unauthenticated", "a valid token is required")
	// ErrForbidden is a request the caller may not make.
	ErrForbidden = New(Forbidden, "forbidden", "you may not do this")
	// ErrNotFound is a request for something that does not exist.
	ErrNotFound = New(NotFound, "not_found", "no such resource")
	// ErrRateLimited is a refusal by a rate limit; see RateLimitError.
	ErrRateLimited = New(RateLimited, "rate_limited", "too many requests; retry after the time in Retry-After")
	// ErrUnavailable is a backing store or service that could not be
	// reached or did not answer in time; nothing was done, and the caller
	// may retry.
	ErrUnavailable = New(Unavailable, "unavailable", "the service is briefly unavailable; please retry")
)

// RateLimitError is a refusal by a rate limit. It wraps ErrRateLimited.
type RateLimitError struct {
	// Limit names the limit that refused, such as "vote" or "vote-ip".
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
