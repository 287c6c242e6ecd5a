package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// TestStore_SaveActivity saves two nodes' minutes, one of them twice as
// its count grows, and a flusher's: Activity adds the nodes up by minute,
// takes the flush figures from the flusher's rows, leaves other editions
// and older minutes out, and ActivityTotals counts every minute.
func TestStore_SaveActivity(t *testing.T) {
	ctx := context.Background()
	s := postgres.New(testenv.Postgres(t))
	m := func(minute int) time.Time { return time.Date(2026, 5, 1, 9, minute, 0, 0, time.UTC) }
	save := func(node string, samples ...voting.ActivitySample) {
		t.Helper()
		if err := s.SaveActivity(ctx, node, samples); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(accepted, duplicate int64) voting.ActivityCounts {
		return voting.ActivityCounts{Accepted: accepted, Flagged: 1, Duplicate: duplicate}
	}
	save("a", voting.ActivitySample{Edition: "e", Minute: m(10), ActivityCounts: counts(4, 1)})
	save("a", voting.ActivitySample{Edition: "e", Minute: m(30), ActivityCounts: counts(5, 0)})
	save("a", voting.ActivitySample{Edition: "e", Minute: m(30), ActivityCounts: counts(7, 2)})
	save("b", voting.ActivitySample{Edition: "e", Minute: m(30), ActivityCounts: counts(3, 1)},
		voting.ActivitySample{Edition: "f", Minute: m(30), ActivityCounts: counts(100, 100)})
	save("flusher", voting.ActivitySample{Edition: "", Minute: m(30),
		ActivityCounts: voting.ActivityCounts{Flushed: 10, LagSum: 2500 * time.Millisecond, LagMax: 750 * time.Millisecond}})
	if err := s.SaveActivity(ctx, "c", nil); err != nil {
		t.Fatal(err)
	}

	got, err := s.Activity(ctx, "e", m(20))
	if err != nil {
		t.Fatal(err)
	}
	want := voting.ActivityCounts{Accepted: 10, Flagged: 2, Duplicate: 3, Flushed: 10, LagSum: 2500 * time.Millisecond, LagMax: 750 * time.Millisecond}
	if len(got) != 1 || !got[0].Minute.Equal(m(30)) || got[0].ActivityCounts != want {
		t.Errorf("Activity = %+v, want minute 30 with %+v", got, want)
	}
	total, err := s.ActivityTotals(ctx, "e")
	if err != nil {
		t.Fatal(err)
	}
	if total.Accepted != 14 || total.Duplicate != 4 || total.Flagged != 3 {
		t.Errorf("ActivityTotals = %+v, want 14 accepted, 4 duplicates, 3 flagged", total)
	}
	if none, err := s.ActivityTotals(ctx, "unknown"); err != nil || none != (voting.ActivityCounts{}) {
		t.Errorf("ActivityTotals of an edition without activity = %+v, %v", none, err)
	}
}
