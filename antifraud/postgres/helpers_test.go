package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	ipostgres "github.com/wsisvote/prizes/identity/postgres"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/antifraud"
	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
	vpg "github.com/wsisvote/prizes/voting/postgres"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// t0 is the fixture clock's start.
var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// fixture is an edition in its voting phase with categories C1 and C2 and
// three nominees each, on a fresh database, with the fraud store, the
// lifecycle store and the ledger on one pool, and a live tally in Redis.
type fixture struct {
	ctx       context.Context
	pool      *pgxpool.Pool
	clock     *fake.StepClock
	fraud     *apg.Store
	lifecycle *ppg.Store
	ledger    *vpg.Store
	live      *vredis.Store
	organiser prizes.Actor
	edition   string
	projects  map[string][]string
}

// fixtureRules make a compact contest: one Champion and one Winner per
// category, a one-line rubric, and tie-breaks that never need an organiser.
const fixtureRules = `{"champions_per_category":1,"winners_per_category":1,
	"rubric":[{"key":"impact","name":"Impact","weight":1}],
	"champion_tie_break":["earliest_final"],"winner_tie_break":["public_votes"]}`

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	pool := testenv.Postgres(tb)
	f := &fixture{ctx: context.Background(), pool: pool, clock: fake.NewStepClock(t0), ledger: vpg.New(pool),
		edition: "e2026", projects: map[string][]string{}}
	f.lifecycle = ppg.New(pool, ppg.Options{Now: f.clock.Now})
	c := testenv.Redis(tb)
	prefix := testenv.RedisPrefix(tb, c)
	live, err := vredis.New(f.ctx, c, vredis.Options{Prefix: prefix, Shards: 4})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(live.Close)
	f.live = live
	f.fraud = apg.New(pool, f.lifecycle, apg.Options{Now: f.clock.Now, Live: live})

	ed := voting.Edition{ID: f.edition, Name: "WSIS Prizes 2026", Phase: voting.PhaseVoting, Rules: voting.DefaultRules()}
	cats := []voting.Category{{Code: "C1", Name: "Governments"}, {Code: "C2", Name: "Infrastructure"}}
	var projects []voting.Project
	for _, cat := range cats {
		for i := range 3 {
			id := uuid.NewString()
			f.projects[cat.Code] = append(f.projects[cat.Code], id)
			projects = append(projects, voting.Project{ID: id, Edition: f.edition, Category: cat.Code,
				Title: fmt.Sprintf("%s project %d", cat.Code, i), Organisation: "Org", Country: "KE", Nominated: true})
		}
	}
	if err := f.ledger.SeedEdition(f.ctx, ed, cats, projects); err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(f.ctx, `UPDATE editions SET rules = rules || $2::jsonb WHERE id = $1`, f.edition, fixtureRules); err != nil {
		tb.Fatal(err)
	}
	a, err := ipostgres.New(f.ledger.Pool()).EnsureAccount(f.ctx, "chair@example.org", "Chair", "CH")
	if err != nil {
		tb.Fatal(err)
	}
	f.organiser = prizes.Actor{ID: a.ID, Role: "organiser"}
	return f
}

// voters creates n voter accounts with addresses at domain and returns
// their ids.
func (f *fixture) voters(tb testing.TB, n int, domain string) []int64 {
	tb.Helper()
	ids := make([]int64, n)
	for i := range ids {
		a, err := ipostgres.New(f.ledger.Pool()).EnsureAccount(f.ctx, fmt.Sprintf("v%s@%s", uuid.NewString()[:8], domain), "", "KE")
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = a.ID
	}
	return ids
}

// cast writes votes into the ledger, one per voter for project, with the
// given status and reasons, cast a second apart from t0 from one network,
// and counts those that count in the live tally, as the vote path does. It
// returns the vote ids.
func (f *fixture) cast(tb testing.TB, project, category string, voters []int64, status voting.Status, reasons ...string) []string {
	tb.Helper()
	votes := make([]voting.Vote, len(voters))
	ids := make([]string, len(voters))
	for i, v := range voters {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		votes[i] = voting.Vote{
			ID: ids[i], Edition: f.edition, VoterID: v, ProjectID: project, Category: category, Slot: category,
			Status: status, Reasons: reasons, CastAt: t0.Add(time.Duration(i+1) * time.Second),
			Client: voting.Client{Network: "203.0.113.0/24", UserAgent: "agent/1", DeviceHint: "dev-1", AccountAge: time.Hour},
		}
	}
	if _, err := f.ledger.Insert(f.ctx, votes); err != nil {
		tb.Fatal(err)
	}
	if status.Counts() {
		if err := f.live.AdjustTally(f.ctx, f.edition, "cast-"+ids[0], map[string]int64{project: int64(len(voters))}); err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// statuses returns the status and reasons of each vote.
func (f *fixture) statuses(tb testing.TB, ids []string) map[string]string {
	tb.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT id::text, status || ' ' || array_to_string(reasons, ',') FROM votes WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			tb.Fatal(err)
		}
		out[id] = s
	}
	return out
}

// converged fails the test unless the live tally agrees with the ledger.
func (f *fixture) converged(tb testing.TB) {
	tb.Helper()
	live, err := f.live.Tally(f.ctx, f.edition)
	if err != nil {
		tb.Fatal(err)
	}
	ledger, err := f.ledger.Recount(f.ctx, f.edition)
	if err != nil {
		tb.Fatal(err)
	}
	if d := voting.Compare(live, ledger); len(d) != 0 {
		tb.Fatalf("live tally differs from the ledger: %+v", d)
	}
}

// recount returns the ledger's count of votes that count for each project.
func (f *fixture) recount(tb testing.TB) map[string]int64 {
	tb.Helper()
	counts, err := f.ledger.Recount(f.ctx, f.edition)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]int64{}
	for _, pc := range counts {
		out[pc.ProjectID] = pc.Votes
	}
	return out
}

// report is an analyser report with one case of kind over votes, which it
// flags.
func report(id, kind string, votes []string) antifraud.Report {
	r := antifraud.Report{Cases: []antifraud.Case{{
		ID: id, Kind: kind, Score: 0.9, Votes: votes, Signals: map[string]float64{"burst": 0.9},
		Summary: fmt.Sprintf("%d votes in a burst", len(votes)), Timeline: []antifraud.TimelinePoint{{At: t0, Votes: len(votes)}},
	}}}
	for _, v := range votes {
		r.Verdicts = append(r.Verdicts, antifraud.Verdict{VoteID: v, Status: antifraud.StatusFlagged, Score: 0.9, Reasons: []string{kind}})
	}
	return r
}
