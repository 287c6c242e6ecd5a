// Package notify is the domain of the mail the contest sends: what is sent
// and when (the kinds), the durable outbox it goes through, the worker that
// delivers it with retries and backoff, and the rendering of each message
// as plain text and HTML in the recipient's language. It imports the
// standard library and the other domains' types only; the outbox lives in
// PostgreSQL (notify/postgres), the mail goes out through identity/smtp, and
// the message catalogues are the site's (api.MailCatalogue).
//
// A lifecycle change writes its messages into the outbox in its own
// transaction (prizes/postgres), so mail is never sent inside a request and
// none is lost when the mail server is down: it waits in the outbox.
package notify

import (
	"context"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

// Kind says what a message is about; each kind has its own subject, text
// and link in the catalogues (mail.<kind>.subject, .body, .action).
type Kind string

// The kinds of message, in the order of the contest.
const (
	// KindSubmitted tells an owner their entry was received.
	KindSubmitted Kind = "submitted"
	// KindNominated tells an owner their entry is on the ballot.
	KindNominated Kind = "nominated"
	// KindRejected tells an owner their entry was not nominated, and why.
	KindRejected Kind = "rejected"
	// KindVotingOpen tells the owner of a nominee that voting is open, with
	// the share link of their nominee page.
	KindVotingOpen Kind = "voting_open"
	// KindJuryAssigned tells a juror they are on a category's panel.
	KindJuryAssigned Kind = "jury_assigned"
	// KindJuryReminder reminds a juror with scorecards left to submit that
	// the jury's deadline is near.
	KindJuryReminder Kind = "jury_reminder"
	// KindResults tells owners and jurors the results are published.
	KindResults Kind = "results"
	// KindInvitation invites an address to a role, with the link that
	// grants it once accepted.
	KindInvitation Kind = "invitation"
)

// Kinds lists every kind.
func Kinds() []Kind {
	return []Kind{KindSubmitted, KindNominated, KindRejected, KindVotingOpen, KindJuryAssigned,
		KindJuryReminder, KindResults, KindInvitation}
}

// Payload keys, the values a message's text is filled with. Every value
// is a string; a time is in RFC 3339.
const (
	// PayloadEdition is the edition's name; PayloadEditionID its id.
	PayloadEdition   = "edition"
	PayloadEditionID = "edition_id"
	// PayloadCategory is the category's name.
	PayloadCategory = "category"
	// PayloadTitle is the entry's title.
	PayloadTitle = "title"
	// PayloadReason is why an entry was not nominated.
	PayloadReason = "reason"
	// PayloadLink is the path of the page the message points to, without
	// the language prefix, such as /wsis-2026/p/<id>; the renderer makes
	// it a full address in the recipient's language.
	PayloadLink = "link"
	// PayloadDeadline is a deadline, RFC 3339.
	PayloadDeadline = "deadline"
	// PayloadRole is the role an invitation grants: juror or organiser.
	PayloadRole = "role"
)

// JuryReminders are how long before the jury's deadline jurors with
// scorecards left are reminded: a week, and a day.
func JuryReminders() []time.Duration { return []time.Duration{7 * 24 * time.Hour, 24 * time.Hour} }

// Message is one row of the outbox, as a worker claimed it.
type Message struct {
	ID   int64
	Kind Kind
	// To is the recipient's address; empty when the recipient's account
	// was erased, which settles the message without sending it.
	To string
	// Language is the recipient's language, or the change's, or empty.
	Language string
	Payload  map[string]string
	// Attempts counts the claims so far, this one included.
	Attempts  int
	CreatedAt time.Time
}

// Outbox is the durable queue of messages. Every method returns
// kind.ErrUnavailable when the store cannot be reached.
type Outbox interface {
	// Claim takes up to limit messages that are due at now and not sent,
	// so that no other worker takes them until now+lease, and counts an
	// attempt on each. Concurrent claims never return the same message.
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Message, error)
	// Sent settles a message: sent, or skipped when it had no recipient.
	// An invitation's link is removed from the payload once sent.
	Sent(ctx context.Context, id int64, at time.Time, skipped bool) error
	// Failed records a failed attempt and when to try again.
	Failed(ctx context.Context, id int64, next time.Time, reason string) error
}

// Mailer delivers a rendered message; identity/smtp.Mailer is one. It
// returns kind.ErrUnavailable when the server cannot take it now and
// kind.ErrInvalid when the server refuses the recipient.
type Mailer interface {
	Send(ctx context.Context, m identity.Message) error
}

// The errors of notify.
var (
	// ErrUnknownKind means a message's kind has no rendering.
	ErrUnknownKind = kind.New(kind.Invalid, "unknown_mail_kind", "no such kind of message")
)
