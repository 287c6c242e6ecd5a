package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
)

// SignIn is passwordless sign-in and sessions; *identity.Service is one.
type SignIn interface {
	// IssueChallenge returns a proof-of-work puzzle. It returns
	// kind.ErrInvalid for an unknown purpose and ErrUnavailable.
	IssueChallenge(ctx context.Context, r identity.ChallengeRequest) (identity.Challenge, error)
	// RequestCode mails a sign-in code, answering alike whether or not the
	// address has an account. It returns kind.ErrInvalid,
	// ErrDisposableEmail, ErrChallengeRequired, ErrChallengeInvalid, a
	// *kind.RateLimitError or ErrUnavailable.
	RequestCode(ctx context.Context, r identity.CodeRequest) error
	// SignIn exchanges a code for a session, creating the account at its
	// first sign-in. It returns kind.ErrInvalid, ErrInvalidCode, a
	// *kind.RateLimitError or ErrUnavailable.
	SignIn(ctx context.Context, r identity.SignInRequest) (identity.Session, error)
	// Refresh exchanges a refresh token for the next one of its family. It
	// returns identity.ErrInvalidRefresh, ErrRefreshReused (the family is
	// revoked), a *kind.RateLimitError or ErrUnavailable.
	Refresh(ctx context.Context, r identity.RefreshRequest) (identity.Session, error)
	// SignOut revokes the family of a refresh token. It returns
	// identity.ErrInvalidRefresh for what is not a refresh token, and
	// ErrUnavailable.
	SignOut(ctx context.Context, token string) error
}

// Accounts is a signed-in person's own account; *identity.Service is one.
type Accounts interface {
	// Account returns an account and its grants, or identity.ErrNotFound
	// (also for an erased account), or ErrUnavailable.
	Account(ctx context.Context, id int64) (identity.Account, []identity.Grant, error)
	// Export returns everything stored about an account, or
	// identity.ErrNotFound, or ErrUnavailable.
	Export(ctx context.Context, id int64) (identity.Export, error)
	// Erase removes an account's personal data and sessions, keeping its
	// votes under its id. It returns identity.ErrNotFound or ErrUnavailable.
	Erase(ctx context.Context, id int64) error
}

// VoteGate admits a vote before it is cast: rate limits and, per edition,
// a proof-of-work challenge; *identity.Service is one.
type VoteGate interface {
	// AdmitVote says whether the vote may go ahead, and whether the vote
	// store's own per-voter limit applies to it. It returns
	// identity.ErrChallengeRequired, ErrChallengeInvalid, a
	// *kind.RateLimitError or ErrUnavailable. It costs at most one round
	// trip to the hot store.
	AdmitVote(ctx context.Context, a identity.VoteAttempt) (identity.Admission, error)
}

// DefaultAccessTTL is how long an access token from a sign-in is valid.
const DefaultAccessTTL = 15 * time.Minute

// IdentityConfig holds the dependencies of sign-in, token refresh, key
// publication and abuse controls. Each part is served when it is set: the
// public keys always, sign-in with SignIn and Issuer, account data with
// Accounts, and vote admission with Gate.
type IdentityConfig struct {
	SignIn   SignIn
	Accounts Accounts
	Gate     VoteGate
	// Issuer signs the access tokens of sign-ins and refreshes.
	Issuer *Issuer
	// AccessTTL is how long those tokens are valid (DefaultAccessTTL).
	AccessTTL time.Duration
}

// identityDeps is what the identity handlers and the vote path share.
type identityDeps struct {
	signIn    SignIn
	accounts  Accounts
	gate      VoteGate
	issuer    *Issuer
	accessTTL time.Duration
}

// identityRoutes registers the identity routes: root carries the well-known
// paths, v1 the API.
func (s *server) identityRoutes(root, v1 *gin.RouterGroup, cfg IdentityConfig) {
	s.ident = identityDeps{signIn: cfg.SignIn, accounts: cfg.Accounts, gate: cfg.Gate,
		issuer: cfg.Issuer, accessTTL: cfg.AccessTTL}
	if s.ident.accessTTL <= 0 {
		s.ident.accessTTL = DefaultAccessTTL
	}
	public := Policy{Public: true}
	s.handle(root, http.MethodGet, "/.well-known/jwks.json", public, s.jwks)
	s.handle(root, http.MethodGet, "/static/pow.js", public, s.powScript)
	if cfg.SignIn != nil && cfg.Issuer != nil {
		s.handle(v1, http.MethodGet, "/challenge", public, s.challenge)
		s.handle(v1, http.MethodPost, "/auth/email-code", public, s.requestCode)
		s.handle(v1, http.MethodPost, "/auth/token", public, s.signInToken)
		s.handle(v1, http.MethodPost, "/auth/refresh", public, s.refreshToken)
		s.handle(v1, http.MethodPost, "/auth/sign-out", public, s.signOut)
	}
	if cfg.Accounts != nil {
		anyone := Policy{Roles: AnyRole}
		s.handle(v1, http.MethodGet, "/me", anyone, s.me)
		s.handle(v1, http.MethodGet, "/me/data", anyone, s.myData)
		s.handle(v1, http.MethodDelete, "/me", anyone, s.eraseMe)
	}
}
