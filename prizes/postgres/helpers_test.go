package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	ipostgres "github.com/wsisvote/prizes/identity/postgres"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
	vpg "github.com/wsisvote/prizes/voting/postgres"
)

// t0 is the fixture clock's start.
var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// fixture is a lifecycle store on a fresh database, with the voting store on
// the same pool for the ledger.
type fixture struct {
	ctx       context.Context
	pool      *pgxpool.Pool
	store     *ppg.Store
	votes     *vpg.Store
	clock     *fake.StepClock
	organiser prizes.Actor
	edition   string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	pool := testenv.Postgres(tb)
	f := &fixture{ctx: context.Background(), pool: pool, votes: vpg.New(pool), clock: fake.NewStepClock(t0), edition: "e2026"}
	f.store = ppg.New(pool, ppg.Options{Now: f.clock.Now})
	f.organiser = f.account(tb, "organiser", "organiser@example.org", "CH")
	return f
}

// account creates an account and returns it as an actor in role.
func (f *fixture) account(tb testing.TB, role, email, country string) prizes.Actor {
	tb.Helper()
	a, err := ipostgres.New(f.votes.Pool()).EnsureAccount(f.ctx, email, "", country)
	if err != nil {
		tb.Fatal(err)
	}
	return prizes.Actor{ID: a.ID, Role: role}
}

// smallRules are rules for a compact contest: 4 nominees, 2 Champions and 1
// Winner per category, a two-line rubric.
const smallRules = `{"nominees_per_category":4,"champions_per_category":2,"winners_per_category":1,
	"rubric":[{"key":"impact","name":"Impact","weight":2},{"key":"reach","name":"Reach","weight":1}],
	"winner_tie_break":["public_votes","organiser"]}`

// createEdition creates the fixture's edition with categories C1 and C2.
func (f *fixture) createEdition(tb testing.TB, rules string) prizes.Edition {
	tb.Helper()
	ed, err := f.store.CreateEdition(f.ctx, f.organiser, prizes.NewEdition{
		ID: f.edition, Name: "WSIS Prizes 2026",
		Categories: []voting.Category{{Code: "C1", Name: "Governments"}, {Code: "C2", Name: "Infrastructure"}},
		Rules:      []byte(rules),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ed
}

func (f *fixture) advance(tb testing.TB, to voting.Phase) prizes.Edition {
	tb.Helper()
	ed, err := f.store.Advance(f.ctx, f.organiser, f.edition, to)
	if err != nil {
		tb.Fatalf("advance to %s: %v", to, err)
	}
	if ed.Phase != to {
		tb.Fatalf("edition is in %s after advancing to %s", ed.Phase, to)
	}
	return ed
}

// summary returns a summary of n words.
func summary(n int) string {
	return strings.TrimSpace(strings.Repeat("word ", n))
}

// entry returns a complete entry of org in category.
func entry(category, org string) prizes.Entry {
	return prizes.Entry{
		Category: category, Title: org + " project", Summary: summary(170), Organisation: org,
		Country: "KE", Stakeholder: "civil_society", Links: []string{"https://example.org/" + strings.ReplaceAll(org, " ", "-")},
	}
}

// submit creates and submits a complete entry by owner.
func (f *fixture) submit(tb testing.TB, owner prizes.Actor, category, org string) prizes.Submission {
	tb.Helper()
	s, err := f.store.CreateSubmission(f.ctx, owner, f.edition, entry(category, org))
	if err != nil {
		tb.Fatal(err)
	}
	s, err = f.store.SubmitSubmission(f.ctx, owner, f.edition, s.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// nominees runs submission and review: per category, n entries from one
// owner, all nominated. It leaves the edition in its voting phase and
// returns the project ids by category.
func (f *fixture) nominees(tb testing.TB, n int) map[string][]string {
	tb.Helper()
	owner := f.account(tb, "owner", "owner@example.org", "KE")
	f.advance(tb, voting.PhaseSubmission)
	out := map[string][]string{}
	var ds []prizes.ReviewDecision
	for _, cat := range []string{"C1", "C2"} {
		for i := 0; i < n; i++ {
			s := f.submit(tb, owner, cat, fmt.Sprintf("Org %s %d", cat, i))
			out[cat] = append(out[cat], s.ID)
			ds = append(ds, prizes.ReviewDecision{ProjectID: s.ID, Decision: prizes.DecisionNominate})
		}
	}
	f.advance(tb, voting.PhaseReview)
	if _, err := f.store.Review(f.ctx, f.organiser, f.edition, ds); err != nil {
		tb.Fatal(err)
	}
	f.advance(tb, voting.PhaseVoting)
	return out
}

// voters creates n voter accounts, their countries taken in turn from
// countries, and returns their ids.
func (f *fixture) voters(tb testing.TB, n int, countries ...string) []int64 {
	tb.Helper()
	ids := make([]int64, n)
	for i := range ids {
		country := ""
		if len(countries) > 0 {
			country = countries[i%len(countries)]
		}
		ids[i] = f.account(tb, "voter", fmt.Sprintf("v%d-%s@example.org", i, uuid.NewString()[:8]), country).ID
	}
	return ids
}

// cast writes votes straight into the ledger, one per voter for project,
// cast one second after another from t0.
func (f *fixture) cast(tb testing.TB, project, category string, voters []int64, status voting.Status) {
	tb.Helper()
	votes := make([]voting.Vote, len(voters))
	for i, v := range voters {
		votes[i] = voting.Vote{
			ID: uuid.Must(uuid.NewV7()).String(), Edition: f.edition, VoterID: v, ProjectID: project,
			Category: category, Slot: category, Status: status, CastAt: t0.Add(time.Duration(i+1) * time.Second),
		}
	}
	if _, err := f.votes.Insert(f.ctx, votes); err != nil {
		tb.Fatal(err)
	}
}

// scores is a complete scorecard for smallRules.
func scores(impact, reach int) prizes.ScoreDraft {
	return prizes.ScoreDraft{Scores: map[string]int{"impact": impact, "reach": reach}}
}

// score saves and submits a juror's scorecard.
func (f *fixture) score(tb testing.TB, juror prizes.Actor, project string, d prizes.ScoreDraft) {
	tb.Helper()
	if _, err := f.store.SaveScores(f.ctx, juror, f.edition, project, d); err != nil {
		tb.Fatalf("save scores: %v", err)
	}
	if _, err := f.store.SubmitScores(f.ctx, juror, f.edition, project); err != nil {
		tb.Fatalf("submit scores: %v", err)
	}
}

// bypassAppendOnly runs sql on the audit log with its append-only trigger
// off, as someone editing the database behind the service's back would.
func (f *fixture) bypassAppendOnly(tb testing.TB, sql string) {
	tb.Helper()
	if _, err := f.pool.Exec(f.ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; `+sql+
		`; ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`); err != nil {
		tb.Fatal(err)
	}
}
