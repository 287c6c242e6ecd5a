package identity

import "github.com/wsisvote/prizes/internal/kind"

// The identity service's own errors, on the project's kinds (see
// internal/kind, which holds the errors every package shares:
// kind.ErrInvalid, kind.ErrUnavailable, kind.ErrRateLimited with
// kind.RateLimitError). Adapters translate driver errors into these at their
// boundary; wrap them with %w and name the operation that failed.
var (
	// ErrDisposableEmail means the address belongs to a throwaway mail
	// service, which cannot stand behind a voter identity.
	ErrDisposableEmail = kind.New(kind.Invalid, "disposable_email",
		"disposable email addresses cannot be used; please use an address you keep")
	// ErrInvalidCode means a sign-in code is wrong, expired, used up or was
	// never sent. The cases are not told apart, so a caller learns nothing
	// about which addresses asked for a code.
	ErrInvalidCode = kind.New(kind.Unauthenticated, "invalid_code", "the code is wrong, expired or used up; ask for a new one")
	// ErrInvalidRefresh means a refresh token is unknown, expired or revoked.
	ErrInvalidRefresh = kind.New(kind.Unauthenticated, "invalid_refresh_token", "the refresh token is unknown, expired or revoked")
	// ErrRefreshReused means a refresh token was presented after it had
	// already been exchanged; the whole family it belongs to is revoked.
	ErrRefreshReused = kind.New(kind.Unauthenticated, "refresh_token_reused",
		"this refresh token was already used; the session is ended everywhere, please sign in again")
	// ErrChallengeRequired means the request needs a solved proof-of-work
	// challenge and came without one.
	ErrChallengeRequired = kind.New(kind.Invalid, "challenge_required",
		"this request needs a solved challenge from GET /api/v1/challenge in the X-Challenge header")
	// ErrChallengeInvalid means the solution is wrong, expired, meant for
	// another purpose, signed with an unknown key or already used.
	ErrChallengeInvalid = kind.New(kind.Forbidden, "challenge_invalid",
		"the challenge solution is wrong, expired, for another purpose or already used; solve a new one")
	// ErrNotFound means no account has the given id, or it was erased.
	ErrNotFound = kind.New(kind.NotFound, "unknown_account", "this account does not exist or was erased")
)
