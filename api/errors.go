package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

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
	{voting.ErrDuplicate, http.StatusConflict, "duplicate_vote", "you have already voted in this ballot slot"},
	{voting.ErrNotNominated, http.StatusUnprocessableEntity, "not_nominated", "this project is not on the ballot"},
	{voting.ErrInvalid, http.StatusUnprocessableEntity, "invalid_request", "the request is malformed"},
	{voting.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "the service is briefly unavailable; please retry"},
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
}

// fail answers err with its status and code and returns the code. Only
// server-side failures are logged: client mistakes are answered, not
// recorded. An invalid request is told what was wrong with it, since that
// comes from its own input; every other message is fixed, so internal detail
// never reaches a client.
func (s *server) fail(c *gin.Context, err error) string {
	k := kindOf(err)
	msg := k.message
	if k.err == voting.ErrInvalid {
		msg = err.Error()
	}
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
	c.AbortWithStatusJSON(k.status, errorBody{Error: errorDetail{Code: k.code, Message: msg}})
	return k.code
}
