// Package postgres is the PostgreSQL side of notify: the outbox table that
// lifecycle changes write into (prizes/postgres enqueues in their
// transactions), claimed by workers on any node with FOR UPDATE SKIP
// LOCKED, and the LISTEN that wakes them when a change commits.
package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/notify"
)

// Channel is the NOTIFY channel a transaction that enqueued mail signals
// on commit.
const Channel = "prizes_outbox"

var _ notify.Outbox = (*Outbox)(nil)

// Outbox is the outbox table.
type Outbox struct {
	pool *pgxpool.Pool
}

// New returns the outbox on pool.
func New(pool *pgxpool.Pool) *Outbox { return &Outbox{pool: pool} }

// Claim implements notify.Outbox. The rows are locked with SKIP LOCKED
// while their lease is written, so concurrent claims, on any node, take
// disjoint rows; the lease then keeps them from other workers until it
// ends, without a transaction held open while the mail goes out. The
// address is read from the account now, so an erased account's message
// comes back with no address.
func (o *Outbox) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]notify.Message, error) {
	rows, _ := o.pool.Query(ctx, `WITH due AS (
			SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
		claimed AS (
			UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $3 FROM due WHERE o.id = due.id
			RETURNING o.id, o.kind, o.payload, o.attempts, o.created_at, o.language, o.email, o.account_id)
		SELECT c.id, c.kind, c.payload, c.attempts, c.created_at, coalesce(nullif(a.language, ''), c.language),
			CASE WHEN c.account_id IS NULL THEN c.email WHEN a.erased_at IS NULL THEN coalesce(a.email, '') ELSE '' END
		FROM claimed c LEFT JOIN accounts a ON a.id = c.account_id ORDER BY c.id`,
		now, limit, now.Add(lease))
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Message, error) {
		var m notify.Message
		var k string
		var payload []byte
		if err := r.Scan(&m.ID, &k, &payload, &m.Attempts, &m.CreatedAt, &m.Language, &m.To); err != nil {
			return m, err
		}
		m.Kind = notify.Kind(k)
		return m, json.Unmarshal(payload, &m.Payload)
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox messages: %w", database.Translate(err))
	}
	return msgs, nil
}

// Sent implements notify.Outbox. An invitation's link, which holds its
// token, is removed from the payload: the table keeps only what was sent
// to whom, never a token that still grants a role.
func (o *Outbox) Sent(ctx context.Context, id int64, at time.Time, skipped bool) error {
	_, err := o.pool.Exec(ctx, `UPDATE outbox SET sent_at = $2, skipped = $3, last_error = '',
			payload = CASE WHEN kind = $4 THEN payload - $5 ELSE payload END
		WHERE id = $1 AND sent_at IS NULL`, id, at, skipped, string(notify.KindInvitation), notify.PayloadLink)
	if err != nil {
		return fmt.Errorf("mark outbox message %d sent: %w", id, database.Translate(err))
	}
	return nil
}

// Failed implements notify.Outbox.
func (o *Outbox) Failed(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	_, err := o.pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1 AND sent_at IS NULL`,
		id, next, reason)
	if err != nil {
		return fmt.Errorf("record outbox failure of %d: %w", id, database.Translate(err))
	}
	return nil
}

// SetLanguage records lang as the language of the account's mail.
func (o *Outbox) SetLanguage(ctx context.Context, account int64, lang string) error {
	if _, err := o.pool.Exec(ctx, `UPDATE accounts SET language = $2 WHERE id = $1 AND language <> $2`, account, lang); err != nil {
		return fmt.Errorf("set the language of account %d: %w", account, database.Translate(err))
	}
	return nil
}

// Stats is the state of the outbox, for metrics.
type Stats struct {
	// Pending counts the messages not sent yet.
	Pending int64
	// Oldest is the creation time of the oldest pending message (zero
	// when none is pending).
	Oldest time.Time
}

// Stats returns the outbox's pending count and oldest pending message.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var oldest *time.Time
	err := o.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL`).Scan(&st.Pending, &oldest)
	if err != nil {
		return Stats{}, fmt.Errorf("read outbox stats: %w", database.Translate(err))
	}
	if oldest != nil {
		st.Oldest = oldest.UTC()
	}
	return st, nil
}

// Listen holds one connection in LISTEN on Channel and signals wake on
// every notification, and once after each (re)connection, since messages
// may have been queued in between. It returns when ctx ends; errors go to
// onErr and the connection is retried a second later.
func (o *Outbox) Listen(ctx context.Context, wake chan<- struct{}, onErr func(error)) {
	database.Listen(ctx, o.pool, Channel, wake, onErr)
}
