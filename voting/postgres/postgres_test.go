package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
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

func TestStore_CreateVoters(t *testing.T) {
	ctx := context.Background()
	s := postgres.New(testenv.Postgres(t))
	a, err := s.CreateVoters(ctx, 1000)
	if err != nil || len(a) != 1000 {
		t.Fatalf("CreateVoters = %d, %v", len(a), err)
	}
	b, err := s.CreateVoters(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, v := range append(a, b...) {
		if seen[v.ID] || v.ID <= 0 {
			t.Fatalf("voter id %d repeated or not positive", v.ID)
		}
		seen[v.ID] = true
	}
}
