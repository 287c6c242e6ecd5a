package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// seeded returns a store on a fresh database holding a demo edition with
// three nominated projects per category.
func seeded(tb testing.TB) (*postgres.Store, voting.Edition, []voting.Project) {
	tb.Helper()
	s := postgres.New(testenv.Postgres(tb))
	ed, cats, projects := prizes.DemoEdition("demo", 3)
	if err := s.SeedEdition(context.Background(), ed, cats, projects); err != nil {
		tb.Fatal(err)
	}
	return s, ed, projects
}

func vote(voter int64, p voting.Project) voting.Vote {
	return voting.Vote{
		ID: uuid.Must(uuid.NewV7()).String(), Edition: p.Edition, VoterID: voter, ProjectID: p.ID,
		Category: p.Category, Slot: p.Category, Status: voting.StatusCounted,
		CastAt: time.Now().UTC().Truncate(time.Microsecond),
		Client: voting.Client{Network: "192.0.2.0/24", UserAgent: "test", AccountAge: time.Hour},
	}
}

func TestStore_Insert(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	batch := []voting.Vote{vote(1, projects[0]), vote(2, projects[0]), vote(1, projects[3])}

	n, err := s.Insert(ctx, batch)
	if err != nil || n != 3 {
		t.Fatalf("first insert = %d, %v; want 3, nil", n, err)
	}
	t.Run("replayed batch changes nothing", func(t *testing.T) {
		n, err := s.Insert(ctx, batch)
		if err != nil || n != 0 {
			t.Fatalf("replay = %d, %v; want 0, nil", n, err)
		}
	})
	t.Run("second vote in a filled slot is skipped", func(t *testing.T) {
		other := vote(1, projects[1]) // same voter, same category as batch[0]
		n, err := s.Insert(ctx, []voting.Vote{other})
		if err != nil || n != 0 {
			t.Fatalf("insert = %d, %v; want 0, nil", n, err)
		}
	})
	t.Run("duplicates inside one batch keep one row", func(t *testing.T) {
		a, b := vote(9, projects[6]), vote(9, projects[7])
		n, err := s.Insert(ctx, []voting.Vote{a, b, a})
		if err != nil || n != 1 {
			t.Fatalf("insert = %d, %v; want 1, nil", n, err)
		}
	})
	total, err := s.LedgerVotes(ctx, "demo")
	if err != nil || total != 4 {
		t.Fatalf("ledger holds %d, %v; want 4", total, err)
	}
}

func TestStore_Insert_concurrentReplays(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	var batch []voting.Vote
	for v := int64(1); v <= 500; v++ {
		batch = append(batch, vote(v, projects[int(v)%len(projects)]))
	}
	var wg sync.WaitGroup
	inserted := make([]int, 8)
	for i := range inserted {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n, err := s.Insert(ctx, batch)
			if err != nil {
				t.Error(err)
			}
			inserted[i] = n
		}(i)
	}
	wg.Wait()
	sum := 0
	for _, n := range inserted {
		sum += n
	}
	if sum != len(batch) {
		t.Fatalf("concurrent replays inserted %d rows in all; want %d", sum, len(batch))
	}
}

func TestStore_Recount(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	var votes []voting.Vote
	want := map[string]int64{}
	for v := int64(1); v <= 40; v++ {
		p := projects[int(v)%5]
		x := vote(v, p)
		switch v % 10 {
		case 0:
			x.Status = voting.StatusRejected
		case 1:
			x.Status = voting.StatusFlagged
			want[p.ID]++
		case 2:
			x.Status = voting.StatusInvalidated
		default:
			want[p.ID]++
		}
		votes = append(votes, x)
	}
	if _, err := s.Insert(ctx, votes); err != nil {
		t.Fatal(err)
	}
	got, err := s.Recount(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(projects) {
		t.Fatalf("recount lists %d projects; want every one of %d", len(got), len(projects))
	}
	for _, pc := range got {
		if pc.Votes != want[pc.ProjectID] {
			t.Errorf("project %s: %d votes; want %d", pc.ProjectID, pc.Votes, want[pc.ProjectID])
		}
	}
}

func TestStore_Watch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, ed, projects := seeded(t)
	snap, err := s.LoadSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := snap.Edition(ed.ID); got.Phase != voting.PhaseVoting || len(snap.Projects(ed.ID, "")) != len(projects) {
		t.Fatalf("snapshot: edition %+v, %d projects", got, len(snap.Projects(ed.ID, "")))
	}
	cat := voting.NewCatalogue(snap)
	// The poll interval is long, so only a notification can bring the change
	// in time.
	go s.Watch(ctx, cat, time.Hour, func(err error) { t.Log(err) })
	time.Sleep(200 * time.Millisecond)
	if _, err := s.Pool().Exec(ctx, `UPDATE editions SET phase = 'counting' WHERE id = $1`, ed.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if e, _ := cat.Snapshot().Edition(ed.ID); e.Phase == voting.PhaseCounting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("catalogue did not see the phase change")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStore_SeedEdition_idempotent(t *testing.T) {
	ctx := context.Background()
	s, ed, projects := seeded(t)
	_, cats, _ := prizes.DemoEdition(ed.ID, 3)
	if err := s.SeedEdition(ctx, ed, cats, projects); err != nil {
		t.Fatal(err)
	}
	snap, err := s.LoadSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(snap.Projects(ed.ID, "")); n != len(projects) {
		t.Fatalf("%d projects after seeding twice; want %d", n, len(projects))
	}
	if n := len(snap.Categories(ed.ID)); n != 18 {
		t.Fatalf("%d categories; want 18", n)
	}
}

// TestStore_Insert_fields checks that every field of a vote reaches the
// ledger as it was, through the COPY and through the staging table a
// conflicting batch takes.
func TestStore_Insert_fields(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	full := vote(7, projects[0])
	full.Status = voting.StatusFlagged
	full.Reasons = []string{"young account", "Ünïcödé, \"quoted\" {braced}", ""}
	full.CastAt = time.Date(2021, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))
	full.Client = voting.Client{Network: "2001:db8:1234::/48", UserAgent: "Mozilla/5.0 (Linux; Android 14) Ünïcödé",
		DeviceHint: "dev-9", AccountAge: 36*time.Hour + 999*time.Millisecond}
	bare := vote(8, projects[3])
	bare.Reasons, bare.Client = nil, voting.Client{}
	bare.CastAt = time.Date(1960, 1, 1, 0, 0, 0, 1000, time.UTC)
	// The replayed batch conflicts on full and so goes through staging,
	// where only fresh is new.
	fresh := vote(9, projects[6])
	fresh.Reasons = []string{"shared network"}
	if n, err := s.Insert(ctx, []voting.Vote{full, bare}); err != nil || n != 2 {
		t.Fatalf("insert = %d, %v; want 2", n, err)
	}
	if n, err := s.Insert(ctx, []voting.Vote{full, fresh}); err != nil || n != 1 {
		t.Fatalf("replay with one new vote = %d, %v; want 1", n, err)
	}
	for _, want := range []voting.Vote{full, bare, fresh} {
		var got voting.Vote
		var status string
		var ageSeconds int64
		err := s.Pool().QueryRow(ctx, `SELECT id::text, edition_id, voter_id, project_id::text, category_code, slot, status,
			reasons, cast_at, client_net, user_agent, device_hint, account_age_s FROM votes WHERE id = $1`, want.ID).Scan(
			&got.ID, &got.Edition, &got.VoterID, &got.ProjectID, &got.Category, &got.Slot, &status,
			&got.Reasons, &got.CastAt, &got.Client.Network, &got.Client.UserAgent, &got.Client.DeviceHint, &ageSeconds)
		if err != nil {
			t.Fatalf("read back %s: %v", want.ID, err)
		}
		got.Status = voting.Status(status)
		got.Client.AccountAge = time.Duration(ageSeconds) * time.Second
		// The ledger keeps microseconds and whole seconds of account age,
		// and an absent list of reasons as an empty one.
		want.CastAt = want.CastAt.Truncate(time.Microsecond)
		want.Client.AccountAge = want.Client.AccountAge.Truncate(time.Second)
		if want.Reasons == nil {
			want.Reasons = []string{}
		}
		if !got.CastAt.Equal(want.CastAt) {
			t.Errorf("vote %s: cast at %v; want %v", want.ID, got.CastAt, want.CastAt)
		}
		got.CastAt = want.CastAt
		if !reflect.DeepEqual(got, want) {
			t.Errorf("vote %s read back as\n%+v\nwant\n%+v", want.ID, got, want)
		}
	}
}

// TestStore_Insert_invalid: a vote the ledger can never hold, whether the
// encoder or PostgreSQL refuses it, fails its whole batch with ErrInvalid and
// writes nothing.
func TestStore_Insert_invalid(t *testing.T) {
	s, _, projects := seeded(t)
	for name, spoil := range map[string]func(v *voting.Vote){
		"id not a UUID":       func(v *voting.Vote) { v.ID = "not-a-uuid" },
		"project not a UUID":  func(v *voting.Vote) { v.ProjectID = "p1" },
		"unknown status":      func(v *voting.Vote) { v.Status = "bogus" },
		"NUL in a user agent": func(v *voting.Vote) { v.Client.UserAgent = "a\x00b" },
	} {
		t.Run(name, func(t *testing.T) {
			v := vote(1, projects[0])
			spoil(&v)
			if _, err := s.Insert(context.Background(), []voting.Vote{vote(2, projects[0]), v}); !errors.Is(err, kind.ErrInvalid) {
				t.Fatalf("insert: %v; want ErrInvalid", err)
			}
			if n, err := s.LedgerVotes(context.Background(), "demo"); err != nil || n != 0 {
				t.Fatalf("ledger holds %d, %v; want nothing from the refused batch", n, err)
			}
		})
	}
}

// TestStore_Recount_window checks that a recount and the Champions tally
// count only the votes cast inside the edition's voting window, for projects
// still on the ballot, and that Excluded and LiveCounts say what was left out.
func TestStore_Recount_window(t *testing.T) {
	ctx := context.Background()
	s, ed, projects := seeded(t)
	opens := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	closes := opens.Add(24 * time.Hour)
	if _, err := s.Pool().Exec(ctx, `UPDATE editions SET schedule = jsonb_build_object('voting',
		jsonb_build_object('start', $2::text, 'end', $3::text)) WHERE id = $1`,
		ed.ID, opens.Format(time.RFC3339Nano), closes.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	p, off := projects[0], projects[1]
	at := func(voter int64, p voting.Project, t time.Time) voting.Vote {
		v := vote(voter, p)
		v.CastAt = t
		return v
	}
	votes := []voting.Vote{
		at(1, p, opens.Add(-time.Microsecond)),  // before the start
		at(2, p, opens),                         // at the start: inside
		at(3, p, closes.Add(-time.Microsecond)), // the last instant inside
		at(4, p, closes),                        // at the end: outside
		at(5, p, closes.Add(time.Hour)),         // after the end
		at(6, off, opens.Add(time.Hour)),        // inside, for a project taken off the ballot
		at(7, off, closes.Add(time.Second)),     // outside, for that project
	}
	if _, err := s.Insert(ctx, votes); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE projects SET status = 'rejected' WHERE id = $1`, off.ID); err != nil {
		t.Fatal(err)
	}

	counts, err := s.Recount(ctx, ed.ID)
	if err != nil {
		t.Fatal(err)
	}
	tallies, err := s.Tallies(ctx, ed.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(projects)-1 || len(tallies) != len(counts) {
		t.Fatalf("recount lists %d projects, the tally %d; want the %d on the ballot", len(counts), len(tallies), len(projects)-1)
	}
	for i, pc := range counts {
		want := int64(0)
		if pc.ProjectID == p.ID {
			want = 2
		}
		if pc.Votes != want || tallies[i].ProjectID != pc.ProjectID || tallies[i].Votes != want {
			t.Errorf("project %s: recount %d, tally %+v; want %d in both", pc.ProjectID, pc.Votes, tallies[i], want)
		}
		if pc.ProjectID == p.ID && !tallies[i].FinalCountAt.Equal(closes.Add(-time.Microsecond)) {
			t.Errorf("final counted vote at %v; want the last one inside the window, %v", tallies[i].FinalCountAt, closes.Add(-time.Microsecond))
		}
	}

	x, err := s.Excluded(ctx, ed.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := postgres.Excluded{Window: voting.Window{Opens: opens, Closes: closes}, OutsideWindow: 4, OffBallot: 1}
	if !x.Window.Opens.Equal(want.Window.Opens) || !x.Window.Closes.Equal(want.Window.Closes) ||
		x.OutsideWindow != want.OutsideWindow || x.OffBallot != want.OffBallot {
		t.Errorf("excluded %+v; want %+v", x, want)
	}

	// The published log's final statuses read the same window: votes 2, 3
	// and 6 were cast inside it, and all but 6 and 7 are for the ballot.
	inside := map[string]bool{votes[1].ID: true, votes[2].ID: true, votes[5].ID: true}
	seen := 0
	unlogged, err := s.FinalVotes(ctx, ed.ID, func(v transparency.FinalVote) error {
		seen++
		onBallot := v.ProjectID == p.ID
		if v.InWindow != inside[v.VoteID] || v.OnBallot != onBallot || !v.Counts {
			t.Errorf("final vote %s: in window %t, on ballot %t, counts %t; want %t, %t, true",
				v.VoteID, v.InWindow, v.OnBallot, v.Counts, inside[v.VoteID], onBallot)
		}
		return nil
	})
	if err != nil || unlogged != 0 || seen != len(votes) {
		t.Fatalf("FinalVotes read %d votes, %d unlogged, %v; want %d, 0", seen, unlogged, err, len(votes))
	}
	stop := errors.New("stop")
	if _, err := s.FinalVotes(ctx, ed.ID, func(transparency.FinalVote) error { return stop }); err != stop {
		t.Errorf("FinalVotes returned %v; want its function's error as it is", err)
	}

	live, err := s.LiveCounts(ctx, ed.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, pc := range live {
		got[pc.ProjectID] = pc.Votes
	}
	if got[p.ID] != 5 || got[off.ID] != 2 || len(got) != 2 {
		t.Errorf("live counts %v; want every counting vote: 5 for %s, 2 for %s", got, p.ID, off.ID)
	}

	snap, err := s.LoadSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := snap.Edition(ed.ID); !e.Window.Opens.Equal(opens) || !e.Window.Closes.Equal(closes) {
		t.Errorf("catalogue window %+v; want %v to %v", e.Window, opens, closes)
	}
}
