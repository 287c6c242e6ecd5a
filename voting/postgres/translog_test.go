package postgres_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"

	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// checkLog fails unless edition's log numbers every vote of the ledger once,
// 0 to n-1, and its head's root is that of the votes in leaf order.
func checkLog(tb testing.TB, s *postgres.Store, edition string) transparency.Head {
	tb.Helper()
	ctx := context.Background()
	total, err := s.LedgerVotes(ctx, edition)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := s.Head(ctx, edition)
	if err != nil {
		tb.Fatal(err)
	}
	if h.Size != uint64(total) {
		tb.Fatalf("log head has %d leaves, the ledger %d votes", h.Size, total)
	}
	tree := transparency.NewTree()
	if err := s.EachLeaf(ctx, edition, 0, h.Size, func(l transparency.Leaf) error {
		if l.Index != tree.Size() {
			tb.Fatalf("leaf %d where %d was due", l.Index, tree.Size())
		}
		tree.Append(l.Hash())
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	if tree.Size() != h.Size {
		tb.Fatalf("read %d leaves, head says %d", tree.Size(), h.Size)
	}
	want, _ := tree.Root(h.Size)
	got, err := h.Root()
	if err != nil || !bytes.Equal(got, want) {
		tb.Fatalf("head root %x, %v; the leaves give %x", got, err, want)
	}
	return h
}

func TestStore_Insert_log(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	first := []voting.Vote{vote(1, projects[0]), vote(2, projects[0]), vote(1, projects[3])}
	if n, err := s.Insert(ctx, first); err != nil || n != 3 {
		t.Fatalf("insert = %d, %v; want 3", n, err)
	}
	checkLog(t, s, "demo")
	t.Run("a replayed batch adds no leaf", func(t *testing.T) {
		more := vote(3, projects[1])
		if n, err := s.Insert(ctx, append([]voting.Vote{more}, first...)); err != nil || n != 1 {
			t.Fatalf("insert = %d, %v; want 1", n, err)
		}
		if h := checkLog(t, s, "demo"); h.Size != 4 {
			t.Fatalf("log has %d leaves; want 4", h.Size)
		}
		l, err := s.Leaf(ctx, "demo", more.ID)
		if err != nil || l.Index != 3 {
			t.Fatalf("the new vote is leaf %d, %v; want 3", l.Index, err)
		}
	})
	t.Run("concurrent flushers and replays number each vote once", func(t *testing.T) {
		var wg sync.WaitGroup
		batches := make([][]voting.Vote, 4)
		for b := range batches {
			for v := int64(0); v < 300; v++ {
				batches[b] = append(batches[b], vote(100+int64(b)*1000+v, projects[int(v)%len(projects)]))
			}
		}
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(b []voting.Vote) {
				defer wg.Done()
				if _, err := s.Insert(ctx, b); err != nil {
					t.Error(err)
				}
			}(batches[i%len(batches)])
		}
		wg.Wait()
		if h := checkLog(t, s, "demo"); h.Size != 4+1200 {
			t.Fatalf("log has %d leaves; want %d", h.Size, 4+1200)
		}
	})
	t.Run("an unknown vote has no leaf", func(t *testing.T) {
		if _, err := s.Leaf(ctx, "demo", "0190a1b2-0000-7000-8000-000000000001"); !errors.Is(err, transparency.ErrUnknownVote) {
			t.Fatalf("Leaf = %v; want ErrUnknownVote", err)
		}
	})
}

func TestStore_Insert_logOff(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	s.SetLog(false)
	if n, err := s.Insert(ctx, []voting.Vote{vote(1, projects[0])}); err != nil || n != 1 {
		t.Fatalf("insert = %d, %v; want 1", n, err)
	}
	h, err := s.Head(ctx, "demo")
	if err != nil || h.Size != 0 {
		t.Fatalf("head = %+v, %v; want an empty log", h, err)
	}
	unlogged, err := s.FinalVotes(ctx, "demo", func(transparency.FinalVote) error { return nil })
	if err != nil || unlogged != 1 {
		t.Fatalf("FinalVotes = %d unlogged, %v; want 1", unlogged, err)
	}
}

func TestLog_proofs(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	signer, err := transparency.NewSigner("results-test", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	log := &transparency.Log{Store: s, Signer: func(context.Context) (*transparency.Signer, error) { return signer, nil }}
	var votes []voting.Vote
	for v := int64(1); v <= 10; v++ {
		votes = append(votes, vote(v, projects[int(v)%len(projects)]))
	}
	if _, err := s.Insert(ctx, votes[:7]); err != nil {
		t.Fatal(err)
	}
	if err := log.SignCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Insert(ctx, votes[7:]); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Inclusion(ctx, "demo", votes[8].ID, 0); !errors.Is(err, transparency.ErrUnknownVote) {
		t.Fatalf("a vote after the latest checkpoint: %v; want ErrUnknownVote", err)
	}
	if err := log.SignCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	if err := log.SignCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	cps, err := s.Checkpoints(ctx, "demo")
	if err != nil || len(cps) != 2 || cps[0].Size != 7 || cps[1].Size != 10 {
		t.Fatalf("checkpoints = %d, %v; want sizes 7 and 10", len(cps), err)
	}
	p, err := log.Inclusion(ctx, "demo", votes[2].ID, 7)
	if err != nil {
		t.Fatal(err)
	}
	if p.TreeSize != 7 || p.LatestSize != 10 || len(p.Consistency) == 0 {
		t.Fatalf("proof against 7: %+v", p)
	}
	c, err := log.Consistency(ctx, "demo", 7, 10)
	if err != nil || len(c.Hashes) == 0 {
		t.Fatalf("consistency 7 -> 10: %+v, %v", c, err)
	}
	if _, err := log.Consistency(ctx, "demo", 8, 10); !errors.Is(err, transparency.ErrNoCheckpoint) {
		t.Fatalf("consistency from an unsigned size: %v; want ErrNoCheckpoint", err)
	}
}
