package identity

import (
	"context"
	"time"
)

// Enrolment is a verified sign-in as the account store sees it.
type Enrolment struct {
	// EmailHash is the stable keyed hash of the canonical address: the key
	// by which an account is found, kept after an erasure.
	EmailHash []byte
	Email     string
	Profile   Profile
	At        time.Time
}

// Accounts stores accounts, their role grants and their history.
type Accounts interface {
	// Enrol returns the account whose email hash is e.EmailHash, marking it
	// verified. When there is none it creates one with e's address and
	// profile; when it was erased it restores it with them, under the same
	// id, so that a person who erased their account cannot vote twice. It
	// returns kind.ErrUnavailable when the store cannot be reached.
	Enrol(ctx context.Context, e Enrolment) (Account, error)
	// Account returns an account that exists and was not erased, or
	// ErrNotFound. It returns kind.ErrUnavailable when the store cannot be
	// reached.
	Account(ctx context.Context, id int64) (Account, error)
	// Grants returns the roles granted to an account. It returns
	// kind.ErrUnavailable when the store cannot be reached.
	Grants(ctx context.Context, id int64) ([]Grant, error)
	// Record appends an event to an account's history. It returns
	// kind.ErrUnavailable when the store cannot be reached.
	Record(ctx context.Context, ev Event) error
	// Export returns everything stored about an account, or ErrNotFound.
	// It returns kind.ErrUnavailable when the store cannot be reached.
	Export(ctx context.Context, id int64) (Export, error)
	// Erase removes an account's personal data, grants, history and
	// sessions, keeping its id and its email hash; votes keep the id and
	// nothing else links them to the person. It returns ErrNotFound for an
	// unknown or already erased account and kind.ErrUnavailable when the store
	// cannot be reached.
	Erase(ctx context.Context, id int64, at time.Time) error
}

// Codes stores sign-in codes, hashed.
type Codes interface {
	// PutCode stores the hash of the code sent for an address hash,
	// replacing any earlier code and its attempts. It returns
	// kind.ErrUnavailable when the store cannot be reached.
	PutCode(ctx context.Context, emailHash, codeHash []byte, expires time.Time) error
	// TakeCode counts one attempt at the code of emailHash and, when
	// codeHash matches, deletes it so it works once. It returns
	// ErrInvalidCode when there is no code, it expired by now, it already
	// had maxAttempts attempts, or it does not match; and kind.ErrUnavailable
	// when the store cannot be reached.
	TakeCode(ctx context.Context, emailHash, codeHash []byte, now time.Time, maxAttempts int) error
}

// RefreshToken is a stored refresh token: its hash, never the token.
type RefreshToken struct {
	Hash    []byte
	Family  string
	Account int64
	Issued  time.Time
	Expires time.Time
	// SignedIn is when the family began: the sign-in that opened the
	// session. Rotate fills it in.
	SignedIn time.Time
}

// Sessions stores refresh token families. A family starts at sign-in; each
// use of its newest token replaces it with the next one.
type Sessions interface {
	// Open stores the first token of a new family that ends at
	// familyExpires. It returns kind.ErrUnavailable when the store cannot be
	// reached.
	Open(ctx context.Context, t RefreshToken, familyExpires time.Time) error
	// Rotate exchanges the token whose hash is old for next, which joins
	// old's family; next.Family, next.Account and next.SignedIn are filled
	// in from it, and next.Expires is cut to the family's end. It returns ErrInvalidRefresh
	// when old is unknown, expired or its family revoked, and
	// ErrRefreshReused, after revoking the family, when old had already been
	// exchanged (next.Family and next.Account are filled in then too, so the
	// caller can record it). Of concurrent exchanges of one token at most one succeeds.
	// It returns kind.ErrUnavailable when the store cannot be reached.
	Rotate(ctx context.Context, old []byte, next *RefreshToken, now time.Time) error
	// Revoke ends the family of the token whose hash is h. An unknown token
	// is not an error. It returns kind.ErrUnavailable when the store cannot be
	// reached.
	Revoke(ctx context.Context, h []byte, now time.Time) error
}

// Message is one mail.
type Message struct {
	To      string
	Subject string
	Text    string
	// HTML, when set, is sent beside Text as multipart/alternative.
	HTML string
	// MessageID, when set, is the Message-ID header (with its angle
	// brackets); a random one is made otherwise.
	MessageID string
}

// Mailer sends mail.
type Mailer interface {
	// Send delivers m to the mail server. It returns kind.ErrUnavailable when the
	// server cannot be reached or refuses for a while, and kind.ErrInvalid when
	// it refuses the recipient.
	Send(ctx context.Context, m Message) error
}

// Event kinds in an account's history.
const (
	EventSignedIn      = "signed_in"
	EventRefreshReused = "refresh_reused"
)

// Event is one entry of an account's history. It stores where a request came
// from only as a truncated network and a keyed hash under a rotating secret.
type Event struct {
	Account    int64
	Kind       string
	At         time.Time
	Network    string
	ClientHash string
	UserAgent  string
}

// Export is everything stored about an account, for its owner to download.
// Votes carry no fraud status: a person is never told whether their votes
// were judged suspicious.
type Export struct {
	Account  Account
	Grants   []Grant
	Events   []Event
	Sessions []ExportedSession
	Votes    []ExportedVote
}

// ExportedSession is one refresh token family.
type ExportedSession struct {
	Family    string
	Started   time.Time
	LastUsed  time.Time
	Expires   time.Time
	RevokedAt time.Time
}

// ExportedVote is one vote in the ledger.
type ExportedVote struct {
	Edition  string
	Project  string
	Category string
	CastAt   time.Time
}
