package main_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// TestFlusher_killedBetweenCommitAndAck stops a flusher right after its
// first ledger commit, before the acknowledgement, as a crash there would.
// A second flusher claims the pending entries and replays them; the ledger
// ends with every vote exactly once, the log is empty, and the live counters
// equal the ledger.
func TestFlusher_killedBetweenCommitAndAck(t *testing.T) {
	for name, client := range testenv.Redises(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			pg := postgres.New(testenv.Postgres(t))
			ed, cats, projects := prizes.DemoEdition("demo", 4)
			if err := pg.SeedEdition(ctx, ed, cats, projects); err != nil {
				t.Fatal(err)
			}
			prefix := testenv.ID(t)
			store := func(consumer string) *vredis.Store {
				s, err := vredis.New(ctx, client, vredis.Options{Shards: 4, Prefix: prefix, Consumer: consumer})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(s.Close)
				return s
			}
			first := store("first")

			const voters = 300
			var wg sync.WaitGroup
			for v := int64(1); v <= voters; v++ {
				wg.Add(1)
				go func(v int64) {
					defer wg.Done()
					p := projects[int(v)%len(projects)]
					err := first.Append(ctx, &voting.Vote{
						ID: uuid.Must(uuid.NewV7()).String(), Edition: "demo", VoterID: v, ProjectID: p.ID,
						Category: p.Category, Slot: p.Category, Status: voting.StatusCounted, CastAt: time.Now(),
					})
					if err != nil {
						t.Error(err)
					}
				}(v)
			}
			wg.Wait()

			crashed := errors.New("crash after commit")
			f1 := &voting.Flusher{Stream: first, Ledger: pg, BatchSize: 1000, BatchWait: 20 * time.Millisecond,
				ClaimIdle: time.Hour, AfterCommit: func() error { return crashed }}
			if err := f1.Run(ctx); !errors.Is(err, crashed) {
				t.Fatalf("first flusher returned %v; want the crash", err)
			}
			committed, err := pg.LedgerVotes(ctx, "demo")
			if err != nil || committed == 0 {
				t.Fatalf("nothing committed before the crash: %d, %v", committed, err)
			}
			if pending, _, _ := first.Backlog(ctx); pending == 0 {
				t.Fatal("the crashed flusher left nothing pending; the rehearsal proves nothing")
			}

			second := store("second")
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			f2 := &voting.Flusher{Stream: second, Ledger: pg, BatchSize: 1000, BatchWait: 20 * time.Millisecond,
				ClaimIdle: 200 * time.Millisecond}
			go func() { done <- f2.Run(runCtx) }()
			deadline := time.Now().Add(30 * time.Second)
			for {
				pending, unread, err := second.Backlog(ctx)
				if err == nil && pending == 0 && unread == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("backlog did not drain: pending %d unread %d err %v", pending, unread, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			n, err := pg.LedgerVotes(ctx, "demo")
			if err != nil || n != voters {
				t.Fatalf("ledger holds %d votes (%v); want exactly %d", n, err, voters)
			}
			// The replayed batch added no leaf: the log holds each vote once.
			if h, err := pg.Head(ctx, "demo"); err != nil || h.Size != voters {
				t.Fatalf("log head %d leaves (%v); want exactly %d", h.Size, err, voters)
			}
			live, err := second.Tally(ctx, "demo")
			if err != nil {
				t.Fatal(err)
			}
			ledger, err := pg.Recount(ctx, "demo")
			if err != nil {
				t.Fatal(err)
			}
			if d := voting.Compare(live, ledger); len(d) != 0 {
				t.Fatalf("live counters differ from the ledger: %+v", d)
			}
		})
	}
}
