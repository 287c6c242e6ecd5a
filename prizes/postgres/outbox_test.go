package postgres_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wsisvote/prizes/notify"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// outboxRow is one queued message as a test reads it.
type outboxRow struct {
	Kind    string
	Account int64
	Email   string
	Dedup   string
	Payload map[string]string
}

func (f *fixture) outbox(tb testing.TB) []outboxRow {
	tb.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT kind, coalesce(account_id, 0), email, dedup_key, payload FROM outbox ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var payload []byte
		if err := rows.Scan(&r.Kind, &r.Account, &r.Email, &r.Dedup, &payload); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(payload, &r.Payload); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// kinds counts the queued messages by kind.
func kinds(rows []outboxRow) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		out[r.Kind]++
	}
	return out
}

// TestStore_outboxWithChanges: each lifecycle change queues its mail in its
// own transaction, a refused change queues none, and a change repeated
// queues nothing more.
func TestStore_outboxWithChanges(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	owner := f.account(t, "owner", "owner@example.org", "KE")
	juror := f.account(t, "juror", "juror@example.org", "FR")
	f.advance(t, voting.PhaseSubmission)

	// A refused submit (an incomplete entry) changes nothing and queues nothing.
	e := entry("C1", "Org Incomplete")
	e.Summary = "too short"
	draft, err := f.store.CreateSubmission(f.ctx, owner, f.edition, e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SubmitSubmission(f.ctx, owner, f.edition, draft.ID); err == nil {
		t.Fatal("an incomplete entry was submitted")
	}
	if rows := f.outbox(t); len(rows) != 0 {
		t.Fatalf("a refused submit queued %v", rows)
	}

	a := f.submit(t, owner, "C1", "Org A")
	b := f.submit(t, owner, "C2", "Org B")
	// Submitting again is a no-op and queues nothing more.
	if _, err := f.store.SubmitSubmission(f.ctx, owner, f.edition, a.ID); err != nil {
		t.Fatal(err)
	}
	rows := f.outbox(t)
	if got := kinds(rows); got[string(notify.KindSubmitted)] != 2 || len(rows) != 2 {
		t.Fatalf("after two submits the outbox holds %v", rows)
	}
	if r := rows[0]; r.Account != owner.ID || r.Payload[notify.PayloadTitle] != a.Title ||
		r.Payload[notify.PayloadCategory] != "Governments" || r.Payload[notify.PayloadLink] != "/e2026/entries/"+a.ID {
		t.Errorf("submitted mail = %+v", r)
	}

	if err := f.store.Assign(f.ctx, f.organiser, f.edition, juror.ID, "C1"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Assign(f.ctx, f.organiser, f.edition, juror.ID, "C1"); err != nil {
		t.Fatal(err)
	}
	f.advance(t, voting.PhaseReview)
	ds := []prizes.ReviewDecision{
		{ProjectID: a.ID, Decision: prizes.DecisionNominate},
		{ProjectID: b.ID, Decision: prizes.DecisionReject, Reason: "Outside <the> scope"},
	}
	// A review over the cap is refused whole, and queues nothing.
	before := len(f.outbox(t))
	if _, err := f.store.Review(f.ctx, f.organiser, f.edition, []prizes.ReviewDecision{
		{ProjectID: a.ID, Decision: prizes.DecisionReject}}); err == nil {
		t.Fatal("a rejection without a reason was accepted")
	}
	if n := len(f.outbox(t)); n != before {
		t.Fatalf("a refused review queued %d messages", n-before)
	}
	for range 2 { // the same decisions again change no status and queue nothing
		if _, err := f.store.Review(f.ctx, f.organiser, f.edition, ds); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(t, voting.PhaseVoting)
	rows = f.outbox(t)
	got := kinds(rows)
	want := map[string]int{"submitted": 2, "jury_assigned": 1, "nominated": 1, "rejected": 1, "voting_open": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d %s messages, want %d (outbox %v)", got[k], k, n, got)
		}
	}
	for _, r := range rows {
		switch notify.Kind(r.Kind) {
		case notify.KindRejected:
			if r.Payload[notify.PayloadReason] != "Outside <the> scope" {
				t.Errorf("rejected mail reason %q", r.Payload[notify.PayloadReason])
			}
		case notify.KindVotingOpen:
			if r.Payload[notify.PayloadLink] != "/e2026/p/"+a.ID || r.Account != owner.ID {
				t.Errorf("voting mail = %+v", r)
			}
		case notify.KindJuryAssigned:
			if r.Account != juror.ID || r.Payload[notify.PayloadCategory] != "Governments" {
				t.Errorf("jury mail = %+v", r)
			}
		}
	}
}

// TestStore_QueueJuryReminders: a juror with Champions left to score is
// reminded once per reminder, however often the sweep runs; before the
// reminder's time, none is queued.
func TestStore_QueueJuryReminders(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	juror := f.account(t, "juror", "juror@example.org", "FR")
	if err := f.store.Assign(f.ctx, f.organiser, f.edition, juror.ID, "C1"); err != nil {
		t.Fatal(err)
	}
	ids := f.nominees(t, 2)
	deadline := t0.Add(30 * 24 * time.Hour)
	f.setPhase(t, voting.PhaseJury, deadline)
	if _, err := f.pool.Exec(f.ctx, `UPDATE projects SET status = 'champion' WHERE id = $1`, ids["C1"][0]); err != nil {
		t.Fatal(err)
	}
	count := func(now time.Time) int {
		t.Helper()
		if _, err := f.store.QueueJuryReminders(f.ctx, now); err != nil {
			t.Fatal(err)
		}
		return kinds(f.outbox(t))[string(notify.KindJuryReminder)]
	}
	if n := count(deadline.Add(-8 * 24 * time.Hour)); n != 0 {
		t.Fatalf("%d reminders eight days before the deadline", n)
	}
	if n := count(deadline.Add(-6 * 24 * time.Hour)); n != 1 {
		t.Fatalf("%d reminders six days before the deadline, want 1", n)
	}
	if n := count(deadline.Add(-5 * 24 * time.Hour)); n != 1 {
		t.Fatalf("%d reminders after a second sweep, want still 1", n)
	}
	if n := count(deadline.Add(-2 * time.Hour)); n != 2 {
		t.Fatalf("%d reminders on the last day, want 2", n)
	}
	if n := count(deadline.Add(time.Hour)); n != 2 {
		t.Fatalf("%d reminders after the deadline, want 2", n)
	}
}

// setPhase puts the fixture's edition in phase with a jury window ending
// at deadline, as a test shortcut.
func (f *fixture) setPhase(tb testing.TB, p voting.Phase, deadline time.Time) {
	tb.Helper()
	sched, err := json.Marshal(prizes.Schedule{voting.PhaseJury: {End: &deadline}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE editions SET phase = $2, schedule = $3 WHERE id = $1`, f.edition, string(p), sched); err != nil {
		tb.Fatal(err)
	}
}
