package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// TestStore_Decide: invalidating a case takes its reviewable votes out of
// the ledger's count, the live tally and the Champions; clearing it puts
// every vote back exactly as it was recorded, status and reasons. A vote
// another invalidated case holds stays out; a rejected vote is never
// touched. Each decision is appended, with an audit entry, and decisions
// cannot be altered.
func TestStore_Decide(t *testing.T) {
	f := newFixture(t)
	c1 := f.projects["C1"]
	voters := f.voters(t, 10, "example.org")
	honest := f.cast(t, c1[0], "C1", voters[0:3], voting.StatusCounted)
	ring := f.cast(t, c1[1], "C1", voters[3:7], voting.StatusCounted)
	noted := f.cast(t, c1[1], "C1", voters[7:8], voting.StatusFlagged, "young_account")
	refused := f.cast(t, c1[1], "C1", voters[8:9], voting.StatusRejected, "pow_failed")
	other := f.cast(t, c1[2], "C1", voters[9:10], voting.StatusCounted)
	all := slices.Concat(honest, ring, noted, refused, other)
	recorded := f.statuses(t, all)

	caseVotes := slices.Concat(ring, noted, refused)
	st, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("net-1", "shared_network", caseVotes))
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 1 || st.Flagged != 4 || st.Unknown != 0 {
		t.Fatalf("stored %+v; want 1 new case and its 4 counted votes flagged", st)
	}
	// A second case holds one of the ring's votes and the other project's.
	if _, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("dev-1", "shared_device", []string{ring[0], other[0]})); err != nil {
		t.Fatal(err)
	}
	flagged := f.statuses(t, all)
	if flagged[ring[1]] != "flagged shared_network" || flagged[noted[0]] != recorded[noted[0]] ||
		flagged[refused[0]] != recorded[refused[0]] || flagged[honest[0]] != recorded[honest[0]] {
		t.Fatalf("after analysis: %v", flagged)
	}
	f.converged(t)

	d, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "net-1", antifraud.DecisionRequest{Decision: "invalidate", Reason: "one network, 4 accounts made the same hour"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Votes != 5 || d.Deltas[c1[1]] != -5 || len(d.Deltas) != 1 || d.TallyPending {
		t.Fatalf("decision %+v; want 5 votes out of %s's count", d, c1[1])
	}
	got := f.statuses(t, all)
	if got[ring[1]] != "invalidated shared_network" || got[noted[0]] != "invalidated shared_network,young_account" ||
		got[refused[0]] != recorded[refused[0]] || got[other[0]] != "flagged shared_device" {
		t.Fatalf("after invalidation: %v", got)
	}
	if counts := f.recount(t); counts[c1[0]] != 3 || counts[c1[1]] != 0 || counts[c1[2]] != 1 {
		t.Fatalf("recount after invalidation %v", counts)
	}
	f.converged(t)

	if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "net-1", antifraud.DecisionRequest{Decision: "invalidate", Reason: "again"}); !errors.Is(err, antifraud.ErrSameDecision) {
		t.Fatalf("invalidating twice: %v; want ErrSameDecision", err)
	}
	// Invalidating the device case too adds its kind to the shared vote.
	if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "dev-1", antifraud.DecisionRequest{Decision: "invalidate", Reason: "one device"}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses(t, ring[:1]); got[ring[0]] != "invalidated shared_device,shared_network" {
		t.Fatalf("vote of two invalidated cases: %v", got)
	}

	// Clearing the network case restores its votes exactly, except the one
	// the device case still holds.
	d, err = f.fraud.Decide(f.ctx, f.organiser, f.edition, "net-1", antifraud.DecisionRequest{Decision: "clear", Reason: "a school's network, checked with the school"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Votes != 4 || d.Deltas[c1[1]] != 4 {
		t.Fatalf("clearing %+v; want 4 votes back", d)
	}
	got = f.statuses(t, all)
	for _, id := range slices.Concat(ring[1:], noted, refused, honest) {
		if got[id] != recorded[id] {
			t.Errorf("vote %s after clearing: %q; recorded %q", id, got[id], recorded[id])
		}
	}
	if got[ring[0]] != "invalidated shared_device" {
		t.Errorf("vote the device case holds: %q", got[ring[0]])
	}
	f.converged(t)
	if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "dev-1", antifraud.DecisionRequest{Decision: "clear", Reason: "a family"}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses(t, all); !maps.Equal(got, recorded) {
		t.Fatalf("after clearing both cases:\n%v\nrecorded:\n%v", got, recorded)
	}
	f.converged(t)

	cf, err := f.fraud.Case(f.ctx, f.edition, "net-1")
	if err != nil {
		t.Fatal(err)
	}
	if cf.State != antifraud.CaseCleared || len(cf.Decisions) != 2 || cf.Decisions[0].Decision != "invalidate" ||
		cf.Decisions[1].Reason != "a school's network, checked with the school" || cf.Decisions[1].DecidedBy != f.organiser.ID ||
		len(cf.Votes) != 6 || len(cf.Evidence) != 6 || cf.Statuses["counted"] != 4 || cf.Statuses["rejected"] != 1 {
		t.Fatalf("case %+v", cf)
	}

	t.Run("decisions are append-only", func(t *testing.T) {
		for _, sql := range []string{
			`UPDATE fraud_decisions SET reason = 'rewritten'`,
			`DELETE FROM fraud_decisions`,
			`TRUNCATE fraud_decisions CASCADE`,
		} {
			if _, err := f.pool.Exec(f.ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v; want refused", sql, err)
			}
		}
	})
	t.Run("audit entries", func(t *testing.T) {
		log, err := f.lifecycle.AuditLog(f.ctx, f.edition, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var decided, analysed int
		for _, e := range log {
			switch e.Action {
			case prizes.ActionFraudDecide:
				decided++
				if e.ActorID != f.organiser.ID || !strings.HasPrefix(e.Subject, "case ") || !strings.Contains(string(e.Details), `"reason"`) {
					t.Errorf("decision entry %+v", e)
				}
			case prizes.ActionFraudAnalyze:
				analysed++
			}
		}
		if decided != 4 || analysed != 2 {
			t.Fatalf("%d decision and %d analysis entries; want 4 and 2", decided, analysed)
		}
		if rep, err := f.lifecycle.VerifyAudit(f.ctx, f.edition); err != nil || !rep.OK {
			t.Fatalf("audit chain %+v, %v", rep, err)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		var fe prizes.FieldErrors
		if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "net-1", antifraud.DecisionRequest{Decision: "delete", Reason: ""}); !errors.As(err, &fe) || fe["decision"] == "" || fe["reason"] == "" {
			t.Errorf("malformed decision: %v", err)
		}
		if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "nope", antifraud.DecisionRequest{Decision: "clear", Reason: "x"}); !errors.Is(err, antifraud.ErrUnknownCase) {
			t.Errorf("unknown case: %v", err)
		}
		if _, err := f.fraud.Decide(f.ctx, f.organiser, "nope", "net-1", antifraud.DecisionRequest{Decision: "clear", Reason: "x"}); !errors.Is(err, voting.ErrUnknownEdition) {
			t.Errorf("unknown edition: %v", err)
		}
		if _, err := f.pool.Exec(f.ctx, `UPDATE editions SET phase = 'published' WHERE id = $1`, f.edition); err != nil {
			t.Fatal(err)
		}
		if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "net-1", antifraud.DecisionRequest{Decision: "invalidate", Reason: "late"}); !errors.Is(err, prizes.ErrWrongPhase) {
			t.Errorf("deciding after publication: %v; want ErrWrongPhase", err)
		}
		if _, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("late", "vote_burst", ring)); !errors.Is(err, prizes.ErrWrongPhase) {
			t.Errorf("storing an analysis after publication: %v; want ErrWrongPhase", err)
		}
		if got := f.statuses(t, all); !maps.Equal(got, recorded) {
			t.Errorf("refused calls changed votes: %v", got)
		}
	})
}

// TestStore_SaveReport: a later run of the analyser updates an open case
// and adds votes to it, never removes any, leaves a decided case as it was
// decided, and counts vote ids the ledger does not hold.
func TestStore_SaveReport(t *testing.T) {
	f := newFixture(t)
	c2 := f.projects["C2"]
	voters := f.voters(t, 6, "example.net")
	first := f.cast(t, c2[0], "C2", voters[0:3], voting.StatusCounted)
	later := f.cast(t, c2[0], "C2", voters[3:6], voting.StatusCounted)

	if _, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("burst-1", "vote_burst", first)); err != nil {
		t.Fatal(err)
	}
	again := report("burst-1", "vote_burst", slices.Concat(first[1:], later[:1], []string{"0190a0a0-0000-7000-8000-000000000000", "not-a-vote"}))
	again.Cases[0].Score = 0.95
	st, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, again)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 0 || st.Updated != 1 || st.Flagged != 1 || st.Unknown != 2 {
		t.Fatalf("second run stored %+v; want the case updated, one vote added and flagged, two unknown ids", st)
	}
	cf, err := f.fraud.Case(f.ctx, f.edition, "burst-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Votes) != 4 || cf.Score != 0.95 || cf.State != antifraud.CaseOpen {
		t.Fatalf("case after the second run: %d votes, score %v, %s", len(cf.Votes), cf.Score, cf.State)
	}
	if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "burst-1", antifraud.DecisionRequest{Decision: "clear", Reason: "a campaign mail went out"}); err != nil {
		t.Fatal(err)
	}
	st, err = f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("burst-1", "vote_burst", slices.Concat(first, later)))
	if err != nil {
		t.Fatal(err)
	}
	if st.Decided != 1 || st.Updated != 0 || st.Flagged != 2 {
		t.Fatalf("run after clearing stored %+v; want the case left as decided, and only the two votes it never held flagged", st)
	}
	if got := f.statuses(t, first); got[first[1]] != "counted " {
		t.Fatalf("a cleared vote was flagged again: %v", got)
	}
	l, err := f.fraud.Cases(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Cases) != 1 || l.Cases[0].State != antifraud.CaseCleared || l.Cases[0].Statuses["counted"] != 4 {
		t.Fatalf("case list %+v", l)
	}
}

// TestStore_EachVote: the export gives every vote with its account facts
// in the documented form: the /24 network, the email domain only (none for
// an erased account), times in UTC.
func TestStore_EachVote(t *testing.T) {
	f := newFixture(t)
	voters := f.voters(t, 2, "Mail.Example.ORG")
	ids := f.cast(t, f.projects["C1"][0], "C1", voters, voting.StatusCounted)
	if _, err := f.pool.Exec(f.ctx, `UPDATE accounts SET email = NULL, erased_at = now() WHERE id = $1`, voters[1]); err != nil {
		t.Fatal(err)
	}
	var created time.Time
	if err := f.pool.QueryRow(f.ctx, `SELECT created_at FROM accounts WHERE id = $1`, voters[0]).Scan(&created); err != nil {
		t.Fatal(err)
	}
	votes, err := f.fraud.Votes(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 2 {
		t.Fatalf("%d votes exported; want 2", len(votes))
	}
	want := antifraud.Vote{VoteID: ids[0], VoterID: voters[0], ProjectID: f.projects["C1"][0], Category: "C1",
		CastAt: t0.Add(time.Second), Network: "203.0.113.0/24", UserAgent: "agent/1", DeviceHint: "dev-1",
		EmailDomain: "mail.example.org", AccountCreatedAt: created.UTC()}
	if votes[0] != want {
		t.Errorf("export line\n%+v\nwant\n%+v", votes[0], want)
	}
	if votes[1].EmailDomain != "" || votes[1].AccountCreatedAt.IsZero() {
		t.Errorf("erased account's line %+v; want no domain and its creation time kept", votes[1])
	}
	if err := f.fraud.EachVote(f.ctx, "nope", func(antifraud.Vote) error { return nil }); !errors.Is(err, voting.ErrUnknownEdition) {
		t.Errorf("unknown edition: %v", err)
	}
}

// TestStore_results: invalidated votes leave the Champions and the signed
// results, which list each nominee's invalidated votes with their reason
// codes and flag a nominee most of whose votes were invalidated; the
// results recompute from the database byte for byte.
func TestStore_results(t *testing.T) {
	f := newFixture(t)
	c1, c2 := f.projects["C1"], f.projects["C2"]
	voters := f.voters(t, 14, "example.org")
	f.cast(t, c1[0], "C1", voters[0:3], voting.StatusCounted)
	ring := f.cast(t, c1[1], "C1", voters[3:8], voting.StatusCounted)
	f.cast(t, c1[1], "C1", voters[8:10], voting.StatusCounted)
	f.cast(t, c2[0], "C2", voters[10:12], voting.StatusCounted)
	f.cast(t, c2[1], "C2", voters[12:13], voting.StatusCounted)
	if _, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("ring", "lockstep", ring)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.fraud.Decide(f.ctx, f.organiser, f.edition, "ring", antifraud.DecisionRequest{Decision: "invalidate", Reason: "same ballot, same minute"}); err != nil {
		t.Fatal(err)
	}
	l, err := f.fraud.Cases(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Projects) != 1 || l.Projects[0].ProjectID != c1[1] || l.Projects[0].Counted != 2 || l.Projects[0].Invalidated != 5 ||
		l.Projects[0].Reasons["lockstep"] != 5 || !l.Projects[0].DisqualificationReview {
		t.Fatalf("projects under review %+v", l.Projects)
	}

	if _, err := f.lifecycle.Advance(f.ctx, f.organiser, f.edition, voting.PhaseCounting); err != nil {
		t.Fatal(err)
	}
	preview, err := f.lifecycle.PreviewChampions(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	if got := preview.Categories[0].Champions(); !slices.Equal(got, []string{c1[0]}) {
		t.Fatalf("C1 Champions %v; want %s, whose 3 votes beat 2 valid ones", got, c1[0])
	}
	juror := f.voters(t, 1, "jury.example.org")[0]
	jurorActor := prizes.Actor{ID: juror, Role: "juror"}
	for _, cat := range []string{"C1", "C2"} {
		if err := f.lifecycle.Assign(f.ctx, f.organiser, f.edition, juror, cat); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.lifecycle.Advance(f.ctx, f.organiser, f.edition, voting.PhaseJury); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{c1[0], c2[0]} {
		if _, err := f.lifecycle.SaveScores(f.ctx, jurorActor, f.edition, p, prizes.ScoreDraft{Scores: map[string]int{"impact": 8}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.lifecycle.SubmitScores(f.ctx, jurorActor, f.edition, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.lifecycle.Advance(f.ctx, f.organiser, f.edition, voting.PhasePublished); err != nil {
		t.Fatal(err)
	}
	signed, err := f.lifecycle.Results(f.ctx, f.edition)
	if err != nil {
		t.Fatal(err)
	}
	res, err := signed.Results()
	if err != nil {
		t.Fatal(err)
	}
	var standing *prizes.NomineeStanding
	for i, n := range res.Categories[0].Champions.Nominees {
		if n.ProjectID == c1[1] {
			standing = &res.Categories[0].Champions.Nominees[i]
		} else if n.Invalidated != 0 || n.InvalidatedReasons != nil || n.DisqualificationReview {
			t.Errorf("nominee without invalidated votes: %+v", n)
		}
	}
	if standing == nil || standing.Votes != 2 || standing.Invalidated != 5 ||
		!maps.Equal(standing.InvalidatedReasons, map[string]int64{"lockstep": 5}) || !standing.DisqualificationReview {
		t.Fatalf("published standing of %s: %+v", c1[1], standing)
	}
	if !strings.Contains(string(signed.Document), `"invalidated":5,"invalidated_reasons":{"lockstep":5},"disqualification_review":true`) {
		t.Errorf("signed document does not state the invalidated votes: %s", signed.Document)
	}
	v, err := f.lifecycle.VerifyResults(f.ctx, f.edition)
	if err != nil || !v.OK() {
		t.Fatalf("recount --verify of the results: %+v, %v", v, err)
	}
	if l, err := f.fraud.Cases(f.ctx, f.edition); err != nil || len(l.Cases) != 1 {
		t.Fatalf("cases after publication: %+v, %v", l, err)
	}
}

// TestStore_ApplyTally: a decision made while Redis cannot be reached
// stands; what it owes the live tally waits in PostgreSQL, is counted as
// pending, and is applied once, however often applying is tried.
func TestStore_ApplyTally(t *testing.T) {
	f := newFixture(t)
	c1 := f.projects["C1"]
	ring := f.cast(t, c1[0], "C1", f.voters(t, 3, "example.org"), voting.StatusCounted)
	if _, err := f.fraud.SaveReport(f.ctx, prizes.SystemActor(), f.edition, report("ring", "vote_burst", ring)); err != nil {
		t.Fatal(err)
	}

	unreachable := apg.New(f.pool, f.lifecycle, apg.Options{Now: f.clock.Now, Live: unreachableTally{}})
	d, err := unreachable.Decide(f.ctx, f.organiser, f.edition, "ring", antifraud.DecisionRequest{Decision: "invalidate", Reason: "burst"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.TallyPending {
		t.Fatalf("decision %+v; want the live tally pending", d)
	}
	n, sum, err := f.fraud.PendingTally(f.ctx, f.edition)
	if err != nil || n != 1 || sum[c1[0]] != -3 {
		t.Fatalf("pending: %d, %v, %v; want one decision owing -3 to %s", n, sum, err, c1[0])
	}
	if counts := f.recount(t); counts[c1[0]] != 0 {
		t.Fatalf("ledger %v; want the votes out although Redis was down", counts)
	}
	for range 2 {
		if _, err := f.fraud.ApplyTally(f.ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Applied again under the same key, as after a crash between Redis and
	// the record that it was applied: nothing changes.
	if err := f.live.AdjustTally(f.ctx, f.edition, "decision-"+strconv.FormatInt(d.ID, 10), d.Deltas); err != nil {
		t.Fatal(err)
	}
	if n, _, err := f.fraud.PendingTally(f.ctx, f.edition); err != nil || n != 0 {
		t.Fatalf("pending after applying: %d, %v", n, err)
	}
	f.converged(t)
}

// unreachableTally is a live tally that cannot be reached.
type unreachableTally struct{}

func (unreachableTally) AdjustTally(context.Context, string, string, map[string]int64) error {
	return fmt.Errorf("adjust live tally: %w", kind.ErrUnavailable)
}
