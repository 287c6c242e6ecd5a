package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// CodeRequest asks for a sign-in code to be mailed.
type CodeRequest struct {
	Email string
	// Solution is the solved challenge, as DecodeSolution reads it.
	Solution string
	Client   Client
	// Compose, when set, writes the mail in the reader's language: its
	// subject and text, given the code and how long it is valid. Without
	// it the mail is the service's own, in English.
	Compose func(code string, valid time.Duration) (subject, text string)
}

// RequestCode mails a sign-in code to r.Email. It does the same whether or
// not an account has this address (the account is made at first sign-in), so
// neither its answer nor its timing tells who has an account. It returns
// kind.ErrInvalid, ErrDisposableEmail, ErrChallengeRequired, ErrChallengeInvalid,
// a *kind.RateLimitError or kind.ErrUnavailable, wrapped with the operation.
func (s *Service) RequestCode(ctx context.Context, r CodeRequest) error {
	const op = "request sign-in code"
	email, err := ParseEmail(r.Email)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if s.cfg.Blocklist.Blocked(email.Domain) {
		return fmt.Errorf("%s: domain %s: %w", op, email.Domain, ErrDisposableEmail)
	}
	sol, err := DecodeSolution(r.Solution)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	k := s.keys.Load()
	now := s.now()
	p, err := k.verify(sol, PurposeCode, now)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	emailHash := k.emailHash(email.Canonical)
	exempt := s.exempt(r.Client)
	var limits []Limit
	limits = s.limit(limits, exempt, "code-ip", k.clientHash(r.Client), s.cfg.Limits.CodePerIP)
	limits = s.limit(limits, exempt, "code-email", hex.EncodeToString(emailHash[:12]), s.cfg.Limits.CodePerEmail)
	if err := s.take(ctx, op, limits, Spend{Key: sol.Challenge, Until: p.expires}); err != nil {
		return err
	}
	code, err := newCode(s.cfg.Random)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := s.cfg.Codes.PutCode(ctx, emailHash, k.codeHash(email.Canonical, code), now.Add(s.cfg.CodeTTL)); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := s.codeMessage(email.Address, code)
	if r.Compose != nil {
		msg.Subject, msg.Text = r.Compose(code, s.cfg.CodeTTL)
	}
	if err := s.cfg.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// codeLength is the number of digits of a sign-in code: short enough to type
// from a phone's notification, and with at most five attempts per code and
// a rate limit on codes, guessing one is a one-in-200,000 chance.
const codeLength = 6

func newCode(rnd io.Reader) (string, error) {
	var b [8]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("new sign-in code: %w", err)
	}
	return fmt.Sprintf("%0*d", codeLength, binary.BigEndian.Uint64(b[:])%1_000_000), nil
}

func (s *Service) codeMessage(to, code string) Message {
	mins := int(s.cfg.CodeTTL / time.Minute)
	return Message{
		To:      to,
		Subject: fmt.Sprintf("Your %s sign-in code", s.cfg.SiteName),
		Text: fmt.Sprintf("Your sign-in code is:\n\n    %s\n\n"+
			"It works once, for %d minutes. If you did not ask to sign in to %s, "+
			"ignore this message: nobody can sign in without the code.\n", code, mins, s.cfg.SiteName),
	}
}

// SignInRequest exchanges a mailed code for a session.
type SignInRequest struct {
	Email string
	Code  string
	// Profile is used when the sign-in creates the account.
	Profile Profile
	Client  Client
}

// Session is what a sign-in or a refresh gives: the account, its grants and
// a new refresh token. The caller issues the access token.
type Session struct {
	Account        Account
	Grants         []Grant
	Refresh        string
	RefreshExpires time.Time
	// SignedInAt is when the session began: this sign-in, or the one a
	// refresh continues.
	SignedInAt time.Time
	// EmailClass is the class of the account's email domain (EmailClass).
	EmailClass string
}

// SignIn checks a code and returns a session, creating the account at its
// first sign-in. It returns kind.ErrInvalid, ErrInvalidCode, a *kind.RateLimitError or
// kind.ErrUnavailable, wrapped with the operation.
func (s *Service) SignIn(ctx context.Context, r SignInRequest) (Session, error) {
	const op = "sign in"
	email, err := ParseEmail(r.Email)
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := r.Profile.Validate(); err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	k := s.keys.Load()
	emailHash := k.emailHash(email.Canonical)
	exempt := s.exempt(r.Client)
	var limits []Limit
	limits = s.limit(limits, exempt, "token-ip", k.clientHash(r.Client), s.cfg.Limits.TokenPerIP)
	limits = s.limit(limits, exempt, "token-email", hex.EncodeToString(emailHash[:12]), s.cfg.Limits.TokenPerEmail)
	if err := s.take(ctx, op, limits, Spend{}); err != nil {
		return Session{}, err
	}
	code := strings.Join(strings.Fields(r.Code), "")
	if len(code) != codeLength || strings.Trim(code, "0123456789") != "" {
		return Session{}, fmt.Errorf("%s: code must be %d digits: %w", op, codeLength, ErrInvalidCode)
	}
	now := s.now()
	if err := s.cfg.Codes.TakeCode(ctx, emailHash, k.codeHash(email.Canonical, code), now, s.cfg.CodeAttempts); err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	acct, err := s.cfg.Accounts.Enrol(ctx, Enrolment{EmailHash: emailHash, Email: email.Address, Profile: r.Profile, At: now})
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	grants, err := s.cfg.Accounts.Grants(ctx, acct.ID)
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	token, tok, err := s.newRefresh(now)
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	tok.Account = acct.ID
	if tok.Family, err = newFamily(s.cfg.Random); err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.cfg.Sessions.Open(ctx, tok, now.Add(s.cfg.SessionTTL)); err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.cfg.Accounts.Record(ctx, s.event(k, acct.ID, EventSignedIn, now, r.Client)); err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	return Session{Account: acct, Grants: grants, Refresh: token, RefreshExpires: tok.Expires,
		SignedInAt: now, EmailClass: s.EmailClass(email.Domain)}, nil
}

func (s *Service) event(k *keyring, account int64, kind string, at time.Time, c Client) Event {
	return Event{Account: account, Kind: kind, At: at, Network: c.Network(),
		ClientHash: k.clientHash(c), UserAgent: cut(c.UserAgent, 256)}
}

// cut shortens s to at most n bytes on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// refreshPrefix marks refresh tokens, so one pasted in the wrong place is
// recognisable.
const refreshPrefix = "rt_"

// newRefresh returns a new refresh token and its stored form. The token is
// 256 random bits, so a plain SHA-256 is enough to store it safely.
func (s *Service) newRefresh(now time.Time) (string, RefreshToken, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.cfg.Random, b[:]); err != nil {
		return "", RefreshToken{}, fmt.Errorf("new refresh token: %w", err)
	}
	token := refreshPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, RefreshToken{Hash: hashRefresh(token), Issued: now, Expires: now.Add(s.cfg.RefreshTTL)}, nil
}

func hashRefresh(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func newFamily(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("new session family: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// checkRefresh refuses what cannot be a refresh token before any store is
// asked.
func checkRefresh(token string) error {
	rest, ok := strings.CutPrefix(token, refreshPrefix)
	if !ok || len(rest) != 43 {
		return fmt.Errorf("not a refresh token: %w", ErrInvalidRefresh)
	}
	return nil
}

// RefreshRequest exchanges a refresh token for a new session.
type RefreshRequest struct {
	Token  string
	Client Client
}

// Refresh exchanges a refresh token for the next one of its family, with the
// account's current grants. Presenting a token that was already exchanged
// revokes the whole family: either the client or a thief holds a stolen copy,
// and neither can be told apart. It returns ErrInvalidRefresh,
// ErrRefreshReused, a *kind.RateLimitError or kind.ErrUnavailable, wrapped with the
// operation.
func (s *Service) Refresh(ctx context.Context, r RefreshRequest) (Session, error) {
	const op = "refresh session"
	if err := checkRefresh(r.Token); err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	k := s.keys.Load()
	limits := s.limit(nil, s.exempt(r.Client), "token-ip", k.clientHash(r.Client), s.cfg.Limits.TokenPerIP)
	if err := s.take(ctx, op, limits, Spend{}); err != nil {
		return Session{}, err
	}
	now := s.now()
	token, next, err := s.newRefresh(now)
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.cfg.Sessions.Rotate(ctx, hashRefresh(r.Token), &next, now); err != nil {
		if errors.Is(err, ErrRefreshReused) && next.Account > 0 {
			// The refusal stands whether or not the history can be written.
			_ = s.cfg.Accounts.Record(ctx, s.event(k, next.Account, EventRefreshReused, now, r.Client))
		}
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	acct, err := s.cfg.Accounts.Account(ctx, next.Account)
	if errors.Is(err, ErrNotFound) {
		return Session{}, fmt.Errorf("%s: account %d is gone: %w", op, next.Account, ErrInvalidRefresh)
	}
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	grants, err := s.cfg.Accounts.Grants(ctx, acct.ID)
	if err != nil {
		return Session{}, fmt.Errorf("%s: %w", op, err)
	}
	return Session{Account: acct, Grants: grants, Refresh: token, RefreshExpires: next.Expires,
		SignedInAt: next.SignedIn, EmailClass: s.emailClassOf(acct.Email)}, nil
}

// SignOut ends the session of a refresh token. An unknown token is not an
// error, so signing out twice is harmless. It returns ErrInvalidRefresh for
// what cannot be a refresh token, and kind.ErrUnavailable.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if err := checkRefresh(token); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if err := s.cfg.Sessions.Revoke(ctx, hashRefresh(token), s.now()); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// Account returns an account and its grants. It returns ErrNotFound or
// kind.ErrUnavailable, wrapped.
func (s *Service) Account(ctx context.Context, id int64) (Account, []Grant, error) {
	acct, err := s.cfg.Accounts.Account(ctx, id)
	if err != nil {
		return Account{}, nil, fmt.Errorf("read account %d: %w", id, err)
	}
	grants, err := s.cfg.Accounts.Grants(ctx, id)
	if err != nil {
		return Account{}, nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return acct, grants, nil
}

// Export returns everything stored about an account. It returns ErrNotFound
// or kind.ErrUnavailable, wrapped.
func (s *Service) Export(ctx context.Context, id int64) (Export, error) {
	x, err := s.cfg.Accounts.Export(ctx, id)
	if err != nil {
		return Export{}, fmt.Errorf("export account %d: %w", id, err)
	}
	return x, nil
}

// Erase removes an account's personal data and ends its sessions. Its votes
// stay in the ledger under its id, which no longer leads to a person. It
// returns ErrNotFound or kind.ErrUnavailable, wrapped.
func (s *Service) Erase(ctx context.Context, id int64) error {
	if err := s.cfg.Accounts.Erase(ctx, id, s.now()); err != nil {
		return fmt.Errorf("erase account %d: %w", id, err)
	}
	return nil
}
