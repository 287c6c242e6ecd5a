package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/notify"
	npg "github.com/wsisvote/prizes/notify/postgres"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// The mail of the lifecycle is queued in the outbox (notify/postgres) by
// the change that causes it, in the change's transaction: a change that
// commits has its mail queued, and one that fails has none. Each message has
// a dedup key, so a change or a sweep that runs twice queues it once; the
// transaction then signals the workers with NOTIFY, which PostgreSQL
// delivers on commit only.

// mail is one message a change queues for an account or, for an
// invitation, an address.
type mail struct {
	kind    notify.Kind
	dedup   string
	account int64
	email   string
	lang    string
	payload map[string]string
}

// enqueue writes ms into the outbox inside tx, each once by its dedup key.
func enqueue(ctx context.Context, tx pgx.Tx, ms ...mail) error {
	if len(ms) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, m := range ms {
		payload, err := json.Marshal(m.payload)
		if err != nil {
			return fmt.Errorf("queue %s mail: %w", m.kind, err)
		}
		b.Queue(`INSERT INTO outbox (kind, account_id, email, language, payload, dedup_key)
			VALUES ($1, nullif($2, 0), $3, $4, $5, $6) ON CONFLICT (dedup_key) DO NOTHING`,
			string(m.kind), m.account, m.email, m.lang, payload, m.dedup)
	}
	b.Queue(`SELECT pg_notify($1, '')`, npg.Channel)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	return nil
}

// editionPayload is what every message about an edition says.
func editionPayload(ed prizes.Edition, category string) map[string]string {
	p := map[string]string{notify.PayloadEdition: ed.Name, notify.PayloadEditionID: ed.ID}
	if c, ok := ed.Category(category); ok {
		p[notify.PayloadCategory] = c.Name
	}
	return p
}

// juryDeadline returns the end of the edition's jury window, if it has one.
func juryDeadline(ed prizes.Edition) (time.Time, bool) {
	w, ok := ed.Schedule[voting.PhaseJury]
	if !ok || w.End == nil {
		return time.Time{}, false
	}
	return w.End.UTC(), true
}

// submittedMail tells an owner their entry was received.
func submittedMail(ed prizes.Edition, sub prizes.Submission) mail {
	p := editionPayload(ed, sub.Category)
	p[notify.PayloadTitle] = sub.Title
	p[notify.PayloadLink] = "/" + ed.ID + "/entries/" + sub.ID
	return mail{kind: notify.KindSubmitted, dedup: "submitted:" + sub.ID, account: sub.OwnerID, payload: p}
}

// reviewMail tells an owner the outcome of a review decision that changed
// their entry's status. The transaction id keeps a later change of mind
// apart from this one; a retried decision changes no status and queues
// nothing.
func reviewMail(ed prizes.Edition, sub prizes.Submission, txid int64) mail {
	p := editionPayload(ed, sub.Category)
	p[notify.PayloadTitle] = sub.Title
	p[notify.PayloadLink] = "/" + ed.ID + "/entries/" + sub.ID
	k := notify.KindNominated
	if sub.Status == prizes.StatusRejected {
		k = notify.KindRejected
		p[notify.PayloadReason] = sub.Reason
	}
	return mail{kind: k, dedup: fmt.Sprintf("review:%s:%s:%d", sub.ID, sub.Status, txid), account: sub.OwnerID, payload: p}
}

// txid returns the current transaction's id.
func txid(ctx context.Context, tx pgx.Tx) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT txid_current()`).Scan(&id)
	return id, err
}

// assignedMail tells a juror they are on a category's panel.
func assignedMail(ed prizes.Edition, juror int64, category string) mail {
	p := editionPayload(ed, category)
	p[notify.PayloadLink] = "/" + ed.ID + "/jury"
	if d, ok := juryDeadline(ed); ok {
		p[notify.PayloadDeadline] = d.Format(time.RFC3339)
	}
	return mail{kind: notify.KindJuryAssigned, dedup: fmt.Sprintf("jury:%s:%d:%s", ed.ID, juror, category),
		account: juror, payload: p}
}

// queueVotingOpen tells the owner of every nominee that voting is open,
// with the share link of their nominee page.
func queueVotingOpen(ctx context.Context, tx pgx.Tx, ed prizes.Edition) error {
	_, err := tx.Exec(ctx, `INSERT INTO outbox (kind, account_id, payload, dedup_key)
		SELECT $3, p.owner_id, jsonb_build_object('edition', $2::text, 'edition_id', $1::text, 'title', p.title,
				'category', coalesce(c.name, p.category_code), 'link', '/' || $1 || '/p/' || p.id::text),
			'voting_open:' || $1 || ':' || p.id::text
		FROM projects p LEFT JOIN categories c ON c.edition_id = p.edition_id AND c.code = p.category_code
		WHERE p.edition_id = $1 AND p.status = 'nominated' AND p.owner_id IS NOT NULL
		ON CONFLICT (dedup_key) DO NOTHING`, ed.ID, ed.Name, string(notify.KindVotingOpen))
	if err != nil {
		return fmt.Errorf("queue voting mail: %w", err)
	}
	return notifyWorkers(ctx, tx)
}

// queueResults tells the owners of every nominee (one message per entry)
// and every juror of the edition that the results are published.
func queueResults(ctx context.Context, tx pgx.Tx, ed prizes.Edition) error {
	_, err := tx.Exec(ctx, `INSERT INTO outbox (kind, account_id, payload, dedup_key)
		SELECT $3, p.owner_id, jsonb_build_object('edition', $2::text, 'edition_id', $1::text, 'title', p.title,
				'category', coalesce(c.name, p.category_code), 'link', '/' || $1 || '/results'),
			'results:' || $1 || ':p:' || p.id::text
		FROM projects p LEFT JOIN categories c ON c.edition_id = p.edition_id AND c.code = p.category_code
		WHERE p.edition_id = $1 AND p.status IN ('nominated', 'champion', 'winner') AND p.owner_id IS NOT NULL
		UNION ALL
		SELECT DISTINCT $3, j.juror_id, jsonb_build_object('edition', $2::text, 'edition_id', $1::text,
				'link', '/' || $1 || '/results'),
			'results:' || $1 || ':j:' || j.juror_id::text
		FROM jury_assignments j WHERE j.edition_id = $1
		ON CONFLICT (dedup_key) DO NOTHING`, ed.ID, ed.Name, string(notify.KindResults))
	if err != nil {
		return fmt.Errorf("queue results mail: %w", err)
	}
	return notifyWorkers(ctx, tx)
}

func notifyWorkers(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, npg.Channel)
	return err
}

// QueueJuryReminders queues the reminders due at now: for every edition in
// the jury phase whose jury window ends, once the deadline is nearer than
// one of notify.JuryReminders, each juror who still has a Champion of
// their panel to score (neither submitted nor declared a conflict with) is
// reminded once for the nearest such reminder. Every node may run it: the
// dedup key makes each reminder one message. It returns how many it
// queued.
func (s *Store) QueueJuryReminders(ctx context.Context, now time.Time) (int, error) {
	eds, err := s.Editions(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue jury reminders: %w", err)
	}
	queued := 0
	for _, ed := range eds {
		deadline, ok := juryDeadline(ed)
		if ed.Phase != voting.PhaseJury || !ok || !now.Before(deadline) {
			continue
		}
		var before time.Duration
		for _, r := range notify.JuryReminders() {
			if !now.Before(deadline.Add(-r)) && (before == 0 || r < before) {
				before = r
			}
		}
		if before == 0 {
			continue
		}
		tag, err := s.pool.Exec(ctx, `INSERT INTO outbox (kind, account_id, payload, dedup_key)
			SELECT $3, j.juror_id, jsonb_build_object('edition', $2::text, 'edition_id', $1::text,
					'deadline', $4::text, 'link', '/' || $1 || '/jury'),
				'jury_reminder:' || $1 || ':' || j.juror_id::text || ':' || $5::text
			FROM (SELECT DISTINCT a.juror_id FROM jury_assignments a
				JOIN projects p ON p.edition_id = a.edition_id AND p.category_code = a.category_code
					AND p.status IN ('champion', 'winner')
				LEFT JOIN jury_scores sc ON sc.edition_id = a.edition_id AND sc.juror_id = a.juror_id
					AND sc.project_id = p.id AND sc.submitted_at IS NOT NULL
				LEFT JOIN jury_conflicts jc ON jc.edition_id = a.edition_id AND jc.juror_id = a.juror_id
					AND jc.project_id = p.id
				WHERE a.edition_id = $1 AND sc.juror_id IS NULL AND jc.juror_id IS NULL) j
			ON CONFLICT (dedup_key) DO NOTHING`,
			ed.ID, ed.Name, string(notify.KindJuryReminder), deadline.Format(time.RFC3339),
			strconv.FormatInt(int64(before/time.Hour), 10)+"h")
		if err != nil {
			return queued, fmt.Errorf("queue jury reminders of %q: %w", ed.ID, database.Translate(err))
		}
		queued += int(tag.RowsAffected())
	}
	if queued > 0 {
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, npg.Channel); err != nil {
			return queued, fmt.Errorf("queue jury reminders: %w", database.Translate(err))
		}
	}
	return queued, nil
}
