package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// Errors the API answers on its own, outside the voting vocabulary.
var (
	errUnknownCategory  = errors.New("unknown category")
	errTallyHidden      = errors.New("tally hidden")
	errNotFound         = errors.New("not found")
	errMethodNotAllowed = errors.New("method not allowed")
)

// errorKind is how one error is answered: its status, its stable code and a
// message for people.
type errorKind struct {
	err     error
	status  int
	code    string
	message string
}

// errorKinds is the one table that maps errors to HTTP. The first entry whose
// error matches (errors.Is) wins; anything unmatched is an internal error.
// Codes are a contract with clients and must not change.
var errorKinds = [...]errorKind{
	{voting.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "a valid token is required"},
	{voting.ErrForbidden, http.StatusForbidden, "forbidden", "you may not do this"},
	{voting.ErrClosed, http.StatusForbidden, "voting_closed", "voting is not open for this edition"},
	{errTallyHidden, http.StatusForbidden, "tally_hidden", "the live tally of this edition is not public"},
	{voting.ErrUnknownEdition, http.StatusNotFound, "unknown_edition", "no edition has this id"},
	{voting.ErrUnknownProject, http.StatusNotFound, "unknown_project", "this edition has no project with this id"},
	{errUnknownCategory, http.StatusNotFound, "unknown_category", "this edition has no category with this code"},
	{errNotFound, http.StatusNotFound, "not_found", "no such resource"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed", "this method is not allowed here"},
	{errUnsupportedMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type",
		"the body must be JSON in UTF-8, sent with Content-Type: application/json"},
	{prizes.ErrUnknownCategory, http.StatusNotFound, "unknown_category", "this edition has no category with this code"},
	{prizes.ErrNotAssigned, http.StatusNotFound, "not_assigned", "this is not on your jury panel"},
	{prizes.ErrNotPublished, http.StatusNotFound, "not_published", "the results of this edition are not published yet"},
	{prizes.ErrConflictOfInterest, http.StatusForbidden, "conflict_of_interest", "you declared a conflict of interest with this project"},
	{prizes.ErrWrongPhase, http.StatusConflict, "wrong_phase", "the edition is not in a phase that allows this"},
	{prizes.ErrEditionExists, http.StatusConflict, "edition_exists", "an edition with this id exists"},
	{prizes.ErrDuplicateEntry, http.StatusConflict, "duplicate_entry", "this organisation already has an entry in this category"},
	{prizes.ErrCapReached, http.StatusConflict, "nomination_cap", "the category's nomination cap is reached"},
	{prizes.ErrNotReady, http.StatusConflict, "not_ready", "the phase cannot close yet"},
	{prizes.ErrTieUnresolved, http.StatusConflict, "tie_unresolved", "a tie at a cut needs an organiser decision"},
	{prizes.ErrFinal, http.StatusConflict, "final", "this can no longer change"},
	{antifraud.ErrUnknownCase, http.StatusNotFound, "unknown_case", "this edition has no fraud case with this id"},
	{antifraud.ErrSameDecision, http.StatusConflict, "already_decided", "the case already stands as this decision asks"},
	{voting.ErrDuplicate, http.StatusConflict, "duplicate_vote", "you have already voted in this ballot slot"},
	{voting.ErrCategoryFull, http.StatusConflict, "category_full", "you have cast every vote this edition allows in this category"},
	{voting.ErrNotNominated, http.StatusUnprocessableEntity, "not_nominated", "this project is not on the ballot"},
	{voting.ErrInvalid, http.StatusUnprocessableEntity, "invalid_request", "the request is malformed"},
	{voting.ErrOutcomeUnknown, http.StatusServiceUnavailable, "outcome_unknown",
		"no answer came in time: your vote may or may not be recorded; send the same vote again to find out"},
	{voting.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "the service is briefly unavailable; please retry"},

	// Identity and abuse controls.
	{identity.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "too many requests; retry after the time in Retry-After"},
	{voting.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "too many requests; retry after the time in Retry-After"},
	{identity.ErrChallengeRequired, http.StatusPreconditionRequired, "challenge_required",
		"this request needs a solved challenge from GET /api/v1/challenge in the X-Challenge header"},
	{identity.ErrChallengeInvalid, http.StatusForbidden, "challenge_invalid",
		"the challenge solution is wrong, expired, for another purpose or already used; solve a new one"},
	{identity.ErrDisposableEmail, http.StatusUnprocessableEntity, "disposable_email",
		"disposable email addresses cannot be used; please use an address you keep"},
	{identity.ErrInvalidCode, http.StatusUnauthorized, "invalid_code", "the code is wrong, expired or used up; ask for a new one"},
	{identity.ErrRefreshReused, http.StatusUnauthorized, "refresh_token_reused",
		"this refresh token was already used; the session is ended everywhere, please sign in again"},
	{identity.ErrInvalidRefresh, http.StatusUnauthorized, "invalid_refresh_token", "the refresh token is unknown, expired or revoked"},
	{identity.ErrNotFound, http.StatusNotFound, "unknown_account", "this account does not exist or was erased"},
	{identity.ErrInvalid, http.StatusUnprocessableEntity, "invalid_request", "the request is malformed"},
	{identity.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "the service is briefly unavailable; please retry"},
}

var internalError = errorKind{status: http.StatusInternalServerError, code: "internal", message: "internal error"}

func kindOf(err error) errorKind {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k
		}
	}
	return internalError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Fields says what is wrong with each field of a refused form.
	Fields map[string]string `json:"fields,omitempty"`
}

// echoes reports whether an error of kind k is answered with its own
// message. These messages come from the request's own input or from the
// contest's state (the current phase, the tie, what is missing), never from
// a store's internals, and the client needs them to act.
func (k errorKind) echoes() bool {
	switch k.err {
	case voting.ErrInvalid, prizes.ErrWrongPhase, prizes.ErrCapReached, prizes.ErrNotReady, prizes.ErrTieUnresolved:
		return true
	}
	return false
}

// fail answers err with its status and code and returns the code. Only
// server-side failures are logged: client mistakes are answered, not
// recorded. An invalid request is told what was wrong with it, since that
// comes from its own input, and so are the refusals echoes lists; every other
// message is fixed, so internal detail never reaches a client.
func (s *server) fail(c *gin.Context, err error) string {
	k := kindOf(err)
	msg := k.message
	if k.err == voting.ErrInvalid || k.err == identity.ErrInvalid {
		msg = err.Error()
	}
	if k.echoes() {
		msg = err.Error()
	}
	var fields prizes.FieldErrors
	errors.As(err, &fields)
	if k.status >= http.StatusInternalServerError {
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("method", c.Request.Method),
			slog.String("route", c.FullPath()),
			slog.Int("status", k.status),
			slog.String("err", err.Error()))
	}
	if k.status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "1")
	}
	if rl := (*identity.RateLimitError)(nil); errors.As(err, &rl) {
		c.Header("Retry-After", rl.RetryAfterSeconds())
	}
	if rl := (*voting.RateLimitError)(nil); errors.As(err, &rl) {
		c.Header("Retry-After", rl.RetryAfterSeconds())
	}
	c.AbortWithStatusJSON(k.status, errorBody{Error: errorDetail{Code: k.code, Message: msg, Fields: fields}})
	return k.code
}
