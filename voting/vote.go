// Package voting holds the domain of public voting: ballots, votes, the rules
// that decide whether a vote counts, and the small interfaces the vote path
// needs from its stores. It imports the standard library only.
package voting

import "time"

// Status is where a vote stands in the count. Votes are never deleted: fraud
// review moves them between statuses, with reasons.
type Status string

const (
	// StatusCounted is a vote that counts.
	StatusCounted Status = "counted"
	// StatusFlagged is a vote under review; it counts until it is invalidated.
	StatusFlagged Status = "flagged"
	// StatusRejected is a vote the scorer refused at ingest. The voter is told
	// nothing different: a suspected bot gets the same 202 as anyone.
	StatusRejected Status = "rejected"
	// StatusInvalidated is a vote removed from the count after review.
	StatusInvalidated Status = "invalidated"
)

// Counts reports whether a vote with this status is part of the tally.
func (s Status) Counts() bool { return s == StatusCounted || s == StatusFlagged }

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusCounted, StatusFlagged, StatusRejected, StatusInvalidated:
		return true
	}
	return false
}

// Client is what the vote path knows about the device and network a vote came
// from, and about the voter's sign-in. Fraud scoring reads it. Network,
// UserAgent, DeviceHint and AccountAge are stored with every vote;
// EmailClass, SignedInFor and ChallengeSolved reach the scorer only, and what
// it made of them is stored as the vote's reasons.
type Client struct {
	// Network is the client address truncated to its network (/24 for IPv4,
	// /48 for IPv6), never the raw address.
	Network string
	// UserAgent is the User-Agent header, cut to a bounded length.
	UserAgent string
	// DeviceHint is an opaque device identifier sent by the client, if any.
	DeviceHint string
	// AccountAge is how old the voter's account was when the vote was cast;
	// zero when unknown.
	AccountAge time.Duration
	// EmailClass is the class of the voter's email domain (EmailDisposable,
	// EmailFree or EmailOrganisation); empty when unknown. The address itself
	// never travels with a vote.
	EmailClass string
	// SignedInFor is how long before the vote the voter signed in (the
	// session's start, which refreshing keeps); zero when unknown.
	SignedInFor time.Duration
	// ChallengeSolved says the vote came with a proof-of-work solution that
	// was checked and spent.
	ChallengeSolved bool
}

// The classes of an email domain, as Client.EmailClass carries them.
const (
	// EmailDisposable is a throwaway mail service.
	EmailDisposable = "disposable"
	// EmailFree is a free mail service open to anyone (Gmail, Outlook, ...).
	EmailFree = "free"
	// EmailOrganisation is any other domain: a company, a university, a
	// government, a personal domain.
	EmailOrganisation = "organisation"
)

// Vote is one accepted vote as it travels from the API through the vote log to
// the ledger.
type Vote struct {
	ID        string // UUIDv7, the receipt and the ledger's idempotency key
	Edition   string
	VoterID   int64
	ProjectID string
	Category  string
	// Slot is the ballot slot a voter may fill once: the category code when
	// the edition allows one vote per category, the project id when it allows
	// one vote per project. The ledger's unique key is (edition, voter, slot).
	Slot    string
	Status  Status
	Reasons []string
	// CastAt is when the vote was cast. The hot store sets it from its own
	// clock as it records the vote, the one clock every node shares, so the
	// ledger's times are those the voting window was judged by.
	CastAt time.Time
	Client Client
	// Window is the edition's voting window; the hot store refuses the vote
	// with ErrClosed outside it, on its own clock. It is not stored.
	Window Window
	// CategoryCap, when positive, is how many votes the voter may have in
	// v.Category in all; the hot store enforces it with the slot claim. It
	// is not stored.
	CategoryCap int
	// Unmetered exempts the vote from the per-voter rate limit (a client on
	// a network the operator exempted, such as a rehearsal's load
	// generator). It travels to the hot store only and is not stored.
	Unmetered bool
}

// Receipt is what a voter gets back for an accepted vote.
type Receipt struct {
	VoteID   string
	Category string
	// Replayed says the vote was recorded by an earlier attempt, whose
	// receipt this is; this attempt recorded nothing.
	Replayed bool
}

// ProjectCount is one project's number of counted votes.
type ProjectCount struct {
	ProjectID string
	Category  string
	Votes     int64
}
