package voting_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

func TestActivity_Cast(t *testing.T) {
	clock := fake.NewClock(time.Date(2026, 5, 1, 9, 30, 15, 0, time.UTC))
	a := voting.NewActivity(clock.Now)
	for _, c := range []struct {
		status   voting.Status
		replayed bool
		err      error
	}{
		{voting.StatusCounted, false, nil},
		{voting.StatusCounted, false, nil},
		{voting.StatusFlagged, false, nil},
		{voting.StatusRejected, false, nil},
		{voting.StatusCounted, true, nil},
		{"", false, fmt.Errorf("cast: %w", voting.ErrDuplicate)},
		{"", false, fmt.Errorf("cast: %w", kind.ErrRateLimited)},
		{"", false, voting.ErrClosed},
	} {
		a.Cast("e", c.status, c.replayed, c.err)
	}
	a.Cast("other", voting.StatusCounted, false, nil)
	got := a.Changed()
	if len(got) != 2 {
		t.Fatalf("Changed() = %d samples, want one per edition", len(got))
	}
	var e voting.ActivitySample
	for _, s := range got {
		if s.Edition == "e" {
			e = s
		}
	}
	want := voting.ActivityCounts{Accepted: 4, Flagged: 1, Rejected: 1, Duplicate: 2, Refused: 2}
	if e.ActivityCounts != want || !e.Minute.Equal(time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("edition e: %+v at %v, want %+v at 09:30", e.ActivityCounts, e.Minute, want)
	}
	if e.Counted() != 2 || e.Votes() != 8 {
		t.Errorf("Counted() = %d, Votes() = %d; want 2 and 8", e.Counted(), e.Votes())
	}
}

// TestActivity_Changed checks that a minute is returned whole each time it
// changes, not again while it does not, again after Unsaved, and forgotten
// once old.
func TestActivity_Changed(t *testing.T) {
	clock := fake.NewClock(time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC))
	a := voting.NewActivity(clock.Now)
	a.Cast("e", voting.StatusCounted, false, nil)
	first := a.Changed()
	if len(first) != 1 || first[0].Accepted != 1 {
		t.Fatalf("first Changed() = %+v", first)
	}
	if again := a.Changed(); len(again) != 0 {
		t.Errorf("unchanged minutes returned again: %+v", again)
	}
	a.Cast("e", voting.StatusCounted, false, nil)
	if got := a.Changed(); len(got) != 1 || got[0].Accepted != 2 {
		t.Errorf("after a second vote: %+v, want the minute's whole count, 2", got)
	}
	a.Unsaved(first)
	if got := a.Changed(); len(got) != 1 || got[0].Accepted != 2 {
		t.Errorf("after Unsaved: %+v, want the minute again", got)
	}
	clock.Add(10 * time.Minute)
	a.Changed()
	a.Unsaved(first)
	if got := a.Changed(); len(got) != 0 {
		t.Errorf("an old minute was kept: %+v", got)
	}
}

func TestActivity_Flushed(t *testing.T) {
	clock := fake.NewClock(time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC))
	a := voting.NewActivity(clock.Now)
	var obs voting.FlushObserver = voting.Observers{a}
	obs.Flushed(3, 3, []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond})
	obs.Flushed(0, 0, nil)
	obs.FlushError("insert", errors.New("down"))
	got := a.Changed()
	if len(got) != 1 || got[0].Edition != "" || got[0].Flushed != 3 || got[0].LagMax != 300*time.Millisecond ||
		got[0].LagMean() != 200*time.Millisecond {
		t.Errorf("Changed() = %+v", got)
	}
}

func TestActivityTotal(t *testing.T) {
	m := func(minute int) time.Time { return time.Date(2026, 5, 1, 9, minute, 0, 0, time.UTC) }
	samples := []voting.ActivitySample{
		{Edition: "e", Minute: m(31), ActivityCounts: voting.ActivityCounts{Accepted: 2, Duplicate: 1}},
		{Edition: "e", Minute: m(30), ActivityCounts: voting.ActivityCounts{Accepted: 5}},
		{Edition: "e", Minute: m(31), ActivityCounts: voting.ActivityCounts{Accepted: 3, Refused: 4}},
		{Edition: "", Minute: m(31), ActivityCounts: voting.ActivityCounts{Accepted: 99, Flushed: 10, LagSum: time.Second, LagMax: 400 * time.Millisecond}},
		{Edition: "", Minute: m(31), ActivityCounts: voting.ActivityCounts{Flushed: 10, LagSum: time.Second, LagMax: 900 * time.Millisecond}},
	}
	got := voting.ActivityTotal(samples)
	if len(got) != 2 || !got[0].Minute.Equal(m(30)) || got[0].Accepted != 5 {
		t.Fatalf("ActivityTotal = %+v", got)
	}
	want := voting.ActivityCounts{Accepted: 5, Duplicate: 1, Refused: 4, Flushed: 20, LagSum: 2 * time.Second, LagMax: 900 * time.Millisecond}
	if got[1].ActivityCounts != want {
		t.Errorf("minute 31 = %+v, want %+v (the flushers' votes are not the edition's)", got[1].ActivityCounts, want)
	}
	window := voting.ActivityWindow(got, m(32).Add(20*time.Second), 60)
	if len(window) != 60 || !window[59].Minute.Equal(m(32)) || window[57].Accepted != 5 || window[58].Accepted != 5 || window[59].Accepted != 0 {
		t.Errorf("ActivityWindow: last three %+v", window[57:])
	}
}

// TestActivity_concurrent counts from many goroutines at once (run with
// -race): nothing is lost.
func TestActivity_concurrent(t *testing.T) {
	a := voting.NewActivity(time.Now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				a.Cast("e", voting.StatusCounted, false, nil)
			}
		}()
	}
	saved := int64(0)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	last := map[time.Time]int64{}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		for _, s := range a.Changed() {
			last[s.Minute] = s.Accepted
		}
	}
	for _, n := range last {
		saved += n
	}
	if saved != 8000 {
		t.Errorf("counted %d votes, want 8000", saved)
	}
}
