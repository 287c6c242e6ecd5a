package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// Errors the API answers on its own, outside the domain's.
var (
	errTallyHidden      = kind.New(kind.Forbidden, "tally_hidden", "the live tally of this edition is not public")
	errMethodNotAllowed = kind.New(kind.Invalid, "method_not_allowed", "this method is not allowed here")
)

// statusOfKind is the one table from errors to HTTP: the status each kind is
// answered with.
var statusOfKind = [...]int{
	kind.Internal:        http.StatusInternalServerError,
	kind.Invalid:         http.StatusUnprocessableEntity,
	kind.Unauthenticated: http.StatusUnauthorized,
	kind.Forbidden:       http.StatusForbidden,
	kind.NotFound:        http.StatusNotFound,
	kind.Conflict:        http.StatusConflict,
	kind.RateLimited:     http.StatusTooManyRequests,
	kind.Unavailable:     http.StatusServiceUnavailable,
}

// statusOfCode are the codes HTTP has a status of its own for, which
// clients rely on; every other code is answered with its kind's status.
var statusOfCode = map[string]int{
	errMethodNotAllowed.Code:           http.StatusMethodNotAllowed,
	errUnsupportedMediaType.Code:       http.StatusUnsupportedMediaType,
	identity.ErrChallengeRequired.Code: http.StatusPreconditionRequired,
	prizes.ErrFileTooLarge.Code:        http.StatusRequestEntityTooLarge,
}

// echoed are the codes whose errors are answered with their whole message,
// besides kind.ErrInvalid's, whose wrapping says what is wrong with the
// request. These messages come from the request's
// own input or from the contest's state (the current phase, the tie, what
// is missing), never from a store's internals, and the client needs them to
// act.
var echoed = map[string]bool{
	prizes.ErrWrongPhase.Code:    true,
	prizes.ErrCapReached.Code:    true,
	prizes.ErrNotReady.Code:      true,
	prizes.ErrTieUnresolved.Code: true,
}

// errorKind is how one error is answered: its status, its stable code and a
// message for people.
type errorKind struct {
	status  int
	code    string
	message string
	// echo says the error's own message, rather than the code's, is
	// answered.
	echo bool
}

var internalError = errorKind{status: http.StatusInternalServerError, code: "internal", message: "internal error"}

// kindOf returns how err is answered: by the first domain error in its
// chain (see internal/kind), or as an internal error.
func kindOf(err error) errorKind {
	e, ok := kind.Find(err)
	if !ok || e.Kind == kind.Internal {
		return internalError
	}
	k := errorKind{status: statusOfKind[e.Kind], code: e.Code, message: e.Message,
		echo: e == kind.ErrInvalid || echoed[e.Code]}
	if st, ok := statusOfCode[e.Code]; ok {
		k.status = st
	}
	return k
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

// fail answers err with its status and code and returns the code. Only
// server-side failures are logged: client mistakes are answered, not
// recorded. An invalid request is told what was wrong with it, since that
// comes from its own input, and so are the refusals echoed lists; every other
// message is fixed, so internal detail never reaches a client.
func (s *server) fail(c *gin.Context, err error) string {
	k := kindOf(err)
	msg := k.message
	if k.echo {
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
	if rl := (*kind.RateLimitError)(nil); errors.As(err, &rl) {
		c.Header("Retry-After", rl.RetryAfterSeconds())
	}
	c.AbortWithStatusJSON(k.status, errorBody{Error: errorDetail{Code: k.code, Message: msg, Fields: fields}})
	return k.code
}
